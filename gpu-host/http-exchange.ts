import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { REQUEST_ID_HEADER } from './request-id.ts';

/** Response headers: name → value. */
export type ResponseHeaders = Readonly<Record<string, string>>;

const STATUS_LINES: Readonly<Record<number, string>> = {
  200: '200 OK',
  400: '400 Bad Request',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  500: '500 Internal Server Error',
};

const EMPTY = new Uint8Array(0);

/**
 * One HTTP request and its response over uWebSockets.js, made safe for async handlers: what is read
 * of the request is read at once (uWS's HttpRequest is gone after the first await), the response is
 * guarded against the client going away (uWS throws on an aborted response and kills the process if a
 * handler returns without responding or `onAborted`), and every write is corked (it runs after an
 * await). The status sent, or the abort, is reported once to `onDone`.
 */
export class HttpExchange {
  /** As sent: `GET`, `POST`, … */
  readonly method: string;
  /** The path without the query string, still percent-encoded. */
  readonly path: string;
  /** The raw query string, '' when there is none. */
  readonly query: string;
  /** The `content-length` header, '' when there is none. */
  readonly contentLength: string;
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

  /**
   * Reads the request line and the headers named in `headers` (lower case) before any await. When
   * `server.closing` is true as the answer goes, it ends the connection (a host that is shutting down).
   */
  constructor(
    readonly res: HttpResponse,
    req: HttpRequest,
    private readonly headers: readonly string[],
    private readonly server: { readonly closing: boolean },
  ) {
    this.method = req.getCaseSensitiveMethod();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.contentLength = req.getHeader('content-length');
    this.captured = headers.map((name) => req.getHeader(name));
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

  /** A header named when the exchange was made; undefined when absent (or empty). */
  header(name: string): string | undefined {
    const value = this.captured[this.headers.indexOf(name)];
    return value === '' ? undefined : value;
  }

  /** Whether an answer can still be sent. */
  get open(): boolean {
    return !this.aborted && this.status === 0;
  }

  /** Sends the whole answer (a `HEAD` request gets the headers and length only); ignored once the client has gone. */
  send(status: number, body: Uint8Array | string = EMPTY, headers?: ResponseHeaders): void {
    if (!this.open) return;
    this.status = status;
    const res = this.res;
    const close = this.server.closing;
    res.cork(() => {
      res.writeStatus(STATUS_LINES[status] ?? `${status} Status`);
      if (this.requestId !== undefined) res.writeHeader(REQUEST_ID_HEADER, this.requestId);
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

  /** Sends `body` as JSON. */
  json(status: number, body: unknown, headers?: ResponseHeaders): void {
    this.send(status, JSON.stringify(body), { ...headers, 'content-type': 'application/json' });
  }

  private finish(): void {
    const done = this.onDone;
    this.onDone = undefined;
    done?.();
  }
}
