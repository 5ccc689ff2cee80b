import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { HttpError, type ResponseHeaders } from './http-error.ts';

export type { ResponseHeaders } from './http-error.ts';

const STATUS_LINES: Readonly<Record<number, string>> = {
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
  411: '411 Length Required',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** The status line uWS writes (`writeStatus`): `404 Not Found`. */
export function statusLine(status: number): string {
  return STATUS_LINES[status] ?? `${status} Status`;
}

/** Request headers must be read before the first await: HttpRequest is gone after it. */
export function headersOf(req: HttpRequest, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, req.getHeader(n)]));
}

/** What an exchange is told by the server it belongs to. */
export interface ExchangeOptions {
  /** Request headers (lower case) to capture before any await, for `header()`. */
  readonly headers?: readonly string[];
  /** Read as the answer goes: while `closing` is true, answers end their connection (a shutdown). */
  readonly server?: { readonly closing: boolean };
  /** Sent with every answer, e.g. `x-request-id`. */
  readonly requestId?: string;
}

const EMPTY = new Uint8Array(0);
const NOT_CLOSING = { closing: false } as const;

/**
 * One HTTP request and its response over uWebSockets.js, made safe for async handlers — the one
 * idiom every uWS route of the gateway and the gpu-host follows:
 * - what is read of the request is read at once (uWS's HttpRequest is gone after the first await);
 * - `onAborted` is set in the constructor, before any await (uWS kills the process if a handler
 *   returns without answering and without it, and throws on an aborted response);
 * - every write is corked (it runs after an await, outside uWS's own cork);
 * - the status sent, or the abort, is reported once to `onDone`.
 * Bodies are read with `readBody` (read-body.ts); failures become answers with `error`.
 */
export class HttpExchange {
  /** As sent: `GET`, `POST`, … ('' when made without the request). */
  readonly method: string;
  /** The path without the query string, still percent-encoded. */
  readonly path: string;
  /** The raw query string, '' when there is none. */
  readonly query: string;
  /** The `content-length` header, '' when there is none. */
  readonly contentLength: string;
  /** The `content-encoding` header, '' when there is none. */
  readonly contentEncoding: string;
  /**
   * Why the request's framing cannot be trusted (a duplicate or malformed Content-Length), or
   * undefined. Such a request is answered 400 and its connection closed: where its body ends is unknown.
   */
  readonly framingProblem: string | undefined;
  /** Sent back as `x-request-id` with the answer, when set. */
  requestId: string | undefined;
  /** The status sent, once `send` has run. */
  status = 0;
  /** The client went away before the answer was sent. */
  aborted = false;
  /** Told once: when the answer has been handed to the socket, or when the client went away. */
  onDone: (() => void) | undefined;
  /** Told if the client goes away, e.g. while the body is being read. */
  onAbort: (() => void) | undefined;
  private readonly captured: string[];
  private readonly names: readonly string[];
  private readonly server: { readonly closing: boolean };

  constructor(
    readonly res: HttpResponse,
    req?: HttpRequest,
    options: ExchangeOptions = {},
  ) {
    this.names = options.headers ?? [];
    this.server = options.server ?? NOT_CLOSING;
    this.requestId = options.requestId;
    if (req === undefined) {
      this.method = this.path = this.query = this.contentLength = this.contentEncoding = '';
      this.captured = [];
      this.framingProblem = undefined;
    } else {
      this.method = req.getCaseSensitiveMethod();
      this.path = req.getUrl();
      this.query = req.getQuery() ?? '';
      this.contentLength = req.getHeader('content-length');
      this.contentEncoding = req.getHeader('content-encoding');
      this.captured = this.names.map((name) => req.getHeader(name));
      this.framingProblem = contentLengthProblem(req, this.contentLength);
    }
    res.onAborted(() => {
      this.aborted = true;
      this.onAbort?.();
      this.finish();
    });
  }

  /** The path with its query string, as the request line had it. */
  get url(): string {
    return this.query === '' ? this.path : `${this.path}?${this.query}`;
  }

  /** A header named in `options.headers`; undefined when absent (or empty). */
  header(name: string): string | undefined {
    const value = this.captured[this.names.indexOf(name)];
    return value === '' ? undefined : value;
  }

  /** Whether an answer can still be sent. */
  get open(): boolean {
    return !this.aborted && this.status === 0;
  }

  /**
   * Sends the whole answer (a `HEAD` request gets the headers and length only); ignored once the
   * client has gone or an answer was sent. `closeConnection` ends the connection after it.
   */
  send(
    status: number,
    body: Uint8Array | string = EMPTY,
    headers?: ResponseHeaders,
    closeConnection = false,
  ): void {
    if (!this.open) return;
    this.status = status;
    const res = this.res;
    const close = closeConnection || this.server.closing;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      if (this.requestId !== undefined) res.writeHeader('x-request-id', this.requestId);
      if (headers !== undefined) for (const name in headers) res.writeHeader(name, headers[name] as string);
      if (this.method === 'HEAD') {
        // uWS would send the body; HEAD gets its length only. (endWithoutBody takes no arguments here:
        // given a length, it waits for that many bytes.) The shutdown closes this connection with the rest.
        res.writeHeader('content-length', String(Buffer.byteLength(body)));
        if (close) res.writeHeader('connection', 'close');
        res.endWithoutBody();
      } else {
        res.end(body, close);
      }
    });
    this.finish();
  }

  /** Sends `body` as JSON, not to be cached unless `headers` say otherwise. */
  json(status: number, body: unknown, headers?: ResponseHeaders, closeConnection = false): void {
    this.send(
      status,
      JSON.stringify(body),
      { 'cache-control': 'no-store', ...headers, 'content-type': 'application/json' },
      closeConnection,
    );
  }

  /**
   * Answers a failure: an HttpError as itself (`{error, code}` with its status and headers), anything
   * else as a 500 after telling `onUnexpected` (a bug or an outage, for the log). Nothing once the
   * client has gone: what failed then is most often the body read it cut short, not a bug.
   */
  error(
    error: unknown,
    onUnexpected: (error: unknown) => void,
    internalMessage = 'internal error; see the server log',
  ): void {
    if (this.aborted) return;
    if (error instanceof HttpError) {
      this.json(error.status, { error: error.message, code: error.code }, error.headers);
    } else {
      onUnexpected(error);
      this.json(500, { error: internalMessage, code: 'internal' });
    }
  }

  /**
   * Refuses a request whose framing cannot be trusted (see `framingProblem`) with 400, closing the
   * connection; returns whether it did. Call first in a handler.
   */
  refuseBadFraming(): boolean {
    if (this.framingProblem === undefined) return false;
    this.json(400, { error: this.framingProblem, code: 'bad_framing' }, undefined, true);
    return true;
  }

  private finish(): void {
    const done = this.onDone;
    this.onDone = undefined;
    done?.();
  }
}

/**
 * A duplicate Content-Length (even with equal values: RFC 9112 §6.3 lets a server refuse it, and a
 * proxy that reads the other one sees another body) or one that is not a decimal number.
 */
export function contentLengthProblem(
  req: HttpRequest,
  value = req.getHeader('content-length'),
): string | undefined {
  if (value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) return `content-length: must be a decimal number of bytes, got "${value}"`;
  let count = 0;
  req.forEach((name) => {
    if (name === 'content-length') count++;
  });
  return count > 1 ? 'content-length: sent more than once; send it once' : undefined;
}

/** An HttpError for a method a path does not take: 405 with the `allow` header. */
export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): HttpError {
  return new HttpError(
    405,
    'method_not_allowed',
    `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
    { allow: allowed.join(', ') },
  );
}
