import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { HttpError } from './http-error.ts';
import type { HttpExchange } from './http-exchange.ts';

/** Largest declared body read into a buffer allocated up front. */
const PREALLOCATE_LIMIT = 1024 * 1024;

const DECODERS = { gzip: promisify(gunzip), deflate: promisify(inflate) } as const;

/**
 * Reads a request body into one Buffer, refusing with 413 (before reading it) a declared length
 * over `limit` and stopping as soon as the bytes received pass it; rejects if the client goes away
 * first. A body sent with `Content-Encoding: gzip` or `deflate` is decompressed, and the limit holds
 * for the decompressed bytes too (decompression stops there: a zip bomb costs `limit` bytes at most);
 * any other encoding is refused with 415. uWS reuses the memory it hands to `onData` once the
 * callback returns, so every chunk is copied. `declaredLength` defaults to the exchange's.
 */
export async function readBody(
  exchange: HttpExchange,
  limit: number,
  declaredLength: string = exchange.contentLength,
): Promise<Buffer> {
  const encoding = exchange.contentEncoding.trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && !(encoding in DECODERS)) {
    // Not read: uWS drops a body left unread once the answer is sent.
    throw new HttpError(
      415,
      'unsupported_content_encoding',
      `content-encoding: "${exchange.contentEncoding}" is not supported; send gzip, deflate or none`,
    );
  }
  const raw = await readRawBody(exchange, limit, declaredLength);
  if (encoding !== 'gzip' && encoding !== 'deflate') return raw;
  try {
    return await DECODERS[encoding](raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(
        413,
        'request_too_large',
        `the decompressed body is over the limit of ${limit} bytes`,
      );
    }
    throw new HttpError(
      400,
      'invalid_content_encoding',
      `body: not valid ${encoding} data (${(error as Error).message})`,
    );
  }
}

function readRawBody(exchange: HttpExchange, limit: number, declaredLength: string): Promise<Buffer> {
  const declared = declaredLength === '' ? Number.NaN : Number(declaredLength);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new HttpError(413, 'request_too_large', `the body is ${declared} bytes; the limit is ${limit}`),
    );
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
        fail(new HttpError(413, 'request_too_large', `the body is over the limit of ${limit} bytes`));
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

/** Parses a JSON body, or throws a 400 that says so. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}
