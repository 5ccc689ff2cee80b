/** Response headers: name → value. */
export type ResponseHeaders = Readonly<Record<string, string>>;

/**
 * An error that becomes an HTTP answer of its own: the status, a stable machine-readable `code`, a
 * message for the caller that says what to do, and any headers the answer needs (`allow` on a 405,
 * `retry-after` on a 503). Arguments come in the order the answer reads: status, code, message.
 *
 * @example throw new HttpError(405, 'method_not_allowed', 'use POST', { allow: 'POST' });
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: ResponseHeaders = {},
  ) {
    super(message);
  }
}
