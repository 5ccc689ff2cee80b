import { RequestTooLargeError } from './errors.ts';
import type { HttpExchange } from './http-exchange.ts';

/** Largest declared body read into a buffer allocated up front. */
const PREALLOCATE_LIMIT = 1024 * 1024;

/**
 * Reads a request body into one Buffer, refusing (before reading it) a declared length over `limit`
 * and stopping as soon as the bytes received pass it; rejects if the client goes away first. uWS
 * reuses the memory it hands to `onData` once the callback returns, so every chunk is copied.
 */
export function readBody(exchange: HttpExchange, limit: number): Promise<Buffer> {
  const declared = exchange.contentLength === '' ? Number.NaN : Number(exchange.contentLength);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RequestTooLargeError(`the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      settled = true;
      exchange.onAbort = undefined;
      reject(error);
    };
    exchange.onAbort = () =>
      fail(new Error('the client closed the connection before sending the whole body'));
    // Up to a megabyte is copied into one buffer of the declared size at once; larger or undeclared
    // bodies are gathered as they come, so a client that only declares a size holds no memory.
    let body =
      Number.isFinite(declared) && declared > 0 && declared <= PREALLOCATE_LIMIT
        ? Buffer.allocUnsafe(declared)
        : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    exchange.res.onData((chunk, isLast) => {
      if (settled) return;
      const bytes = new Uint8Array(chunk);
      if (received + bytes.length > limit) {
        fail(new RequestTooLargeError(`the body is over the limit of ${limit} bytes`));
        return;
      }
      if (body !== undefined && received + bytes.length <= body.length) {
        body.set(bytes, received);
      } else {
        if (body !== undefined) chunks.push(body.subarray(0, received));
        body = undefined;
        chunks.push(Buffer.from(bytes));
      }
      received += bytes.length;
      if (!isLast) return;
      settled = true;
      exchange.onAbort = undefined;
      if (body !== undefined) resolve(received === body.length ? body : body.subarray(0, received));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    });
  });
}
