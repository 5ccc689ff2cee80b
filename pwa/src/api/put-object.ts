import { NetworkError, UploadRejectedError } from '../errors.ts';
import type { UploadTicket } from './upload-ticket.ts';
import { withTimeout } from './with-timeout.ts';

/** Waits this long per started megabyte before a PUT counts as a lost network. */
const PUT_TIMEOUT_MS_PER_MB = 60_000;

/**
 * PUTs the image to its presigned URL with `fetch`, for the service worker, which has no
 * XMLHttpRequest (and so no progress events). The page uses upload-to-s3.ts instead.
 */
export async function putObjectWithFetch(
  ticket: UploadTicket & { readonly url: string; readonly headers: Readonly<Record<string, string>> },
  body: Blob,
  signal?: AbortSignal,
): Promise<void> {
  const timeoutMs = PUT_TIMEOUT_MS_PER_MB * Math.ceil((body.size + 1) / 1_000_000);
  let response: Response;
  try {
    response = await fetch(ticket.url, {
      method: 'PUT',
      headers: { ...ticket.headers },
      body,
      signal: withTimeout(signal, timeoutMs),
      cache: 'no-store',
    });
  } catch (error) {
    signal?.throwIfAborted();
    throw new NetworkError('the upload to storage failed (connection lost or refused)', { cause: error });
  }
  // 412: the URL is signed `If-None-Match: *` and the object exists — an earlier try of ours landed.
  if (!response.ok && response.status !== 412) throw new UploadRejectedError(response.status);
}
