import { request } from 'undici';
import { isTransientNetworkError, TransientError } from './retry.ts';

/** A peer's answer: its status and body as text. */
export interface PeerAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * One POST with undici under a timeout. A failure that says nothing about the request (refused, reset,
 * timed out) becomes a TransientError naming the peer, for withRetries; any other error is thrown as is.
 */
export async function postOnce(
  peer: string,
  url: URL,
  init: {
    readonly body: string | Uint8Array;
    readonly headers: Record<string, string>;
    readonly timeoutMs: number;
  },
): Promise<PeerAnswer> {
  try {
    const response = await request(url, {
      method: 'POST',
      body: init.body,
      headers: init.headers,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    if (isTransientNetworkError(error)) {
      throw new TransientError(`${peer} unreachable at ${url.origin}: ${(error as Error).message}`);
    }
    throw error;
  }
}
