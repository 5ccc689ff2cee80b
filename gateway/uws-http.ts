import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { API_SECURITY_HEADERS } from '../platform/security-headers.ts';

/** An error that becomes an HTTP response: the status, a message for the caller, a stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

/**
 * Tracks whether a response was aborted. uWS kills the process if a handler returns without
 * answering and without onAborted, and throws if an aborted response is used: every async route
 * takes one of these first.
 */
export class ResponseGuard {
  aborted = false;
  constructor(readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }

  /** Sends a JSON response unless the client has gone; corked, since it runs after an await. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.aborted) return;
    const payload = JSON.stringify(body);
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json');
      for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) this.res.writeHeader(k, v);
      if (!('cache-control' in headers)) this.res.writeHeader('cache-control', 'no-store');
      for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
      this.res.end(payload);
    });
  }

  error(error: unknown, onUnexpected: (error: unknown) => void): void {
    if (error instanceof HttpError) {
      this.json(error.status, { error: error.message, code: error.code });
    } else {
      onUnexpected(error);
      this.json(500, { error: 'internal error; see the gateway log', code: 'internal' });
    }
  }
}

/**
 * Reads the whole request body, up to `limit` bytes. Chunks are copied: uWS reuses the buffer
 * it hands to onData once the callback returns.
 */
export function readBody(guard: ResponseGuard, limit: number, declaredLength: string): Promise<Buffer> {
  const declared = Number(declaredLength || 0);
  if (declared > limit) {
    return Promise.reject(
      new HttpError(413, 'body_too_large', `the body is ${declared} bytes; the limit is ${limit}`),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    guard.res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, 'body_too_large', `the body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks, size));
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

/** Request headers must be read before the first await: HttpRequest is gone after it. */
export function headersOf(req: HttpRequest, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, req.getHeader(n)]));
}
