import type { CreateUploadResponse } from '../../../contracts/uploads.ts';
import { NetworkError, UploadRejectedError } from '../errors.ts';

/** An upload that sends nothing for this long counts as a lost network (it is retried later). */
const STALL_TIMEOUT_MS = 30_000;

export interface UploadOptions {
  readonly signal?: AbortSignal;
  /** Called as bytes leave the browser, with the fraction sent (0–1). */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * PUTs the image to its presigned URL with exactly the signed headers. XMLHttpRequest rather than
 * fetch because only XHR reports upload progress. The browser derives Content-Length from the body,
 * which must be the very bytes whose size the URL was signed for.
 */
export function uploadToS3(
  upload: Pick<CreateUploadResponse, 'url' | 'headers'>,
  body: Blob,
  options: UploadOptions = {},
): Promise<void> {
  const { signal, onProgress } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    let stalled = false;
    let stallTimer: ReturnType<typeof setTimeout> | undefined;
    const watchStall = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        stalled = true;
        xhr.abort();
      }, STALL_TIMEOUT_MS);
    };
    const settle = (finish: () => void) => {
      clearTimeout(stallTimer);
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    xhr.open('PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      watchStall();
      if (event.lengthComputable && event.total > 0) onProgress?.(event.loaded / event.total);
    });
    xhr.addEventListener('load', () =>
      settle(() => {
        // 412: the URL is signed `If-None-Match: *` and the object exists — an earlier try of ours landed.
        if ((xhr.status >= 200 && xhr.status < 300) || xhr.status === 412) {
          onProgress?.(1);
          resolve();
        } else {
          reject(new UploadRejectedError(xhr.status));
        }
      }),
    );
    xhr.addEventListener('error', () =>
      settle(() => reject(new NetworkError('the upload to storage failed (connection lost or refused)'))),
    );
    xhr.addEventListener('timeout', () =>
      settle(() => reject(new NetworkError('the upload to storage timed out'))),
    );
    xhr.addEventListener('abort', () =>
      settle(() =>
        reject(
          stalled
            ? new NetworkError('the upload to storage stalled')
            : (signal?.reason ?? new DOMException('Aborted', 'AbortError')),
        ),
      ),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    watchStall();
    xhr.send(body);
  });
}
