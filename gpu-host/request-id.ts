import { randomUUID } from 'node:crypto';

/** The header a caller (or a load balancer) may set to correlate its request with the host's logs. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What an incoming request id may look like: short, printable, no spaces (it goes into logs and headers). */
const ACCEPTABLE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * The id a request is logged and answered under: the caller's `x-request-id` when it is a sane token
 * (1–128 of letters, digits and `_.:@/+=-`), otherwise a fresh one from `generate` (a UUID by default).
 */
export function resolveRequestId(
  header: string | readonly string[] | undefined,
  generate: () => string = randomUUID,
): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && ACCEPTABLE_REQUEST_ID.test(value) ? value : generate();
}

/**
 * UUID-shaped request ids that cost a counter increment: a random UUID's first 24 characters, drawn
 * once, then a 12-digit hexadecimal sequence number. Unique within the process, and across processes
 * as far as their random prefixes differ.
 */
export function requestIdSequence(): () => string {
  const prefix = randomUUID().slice(0, 24);
  let next = 0;
  return () => {
    next++;
    return prefix + next.toString(16).padStart(12, '0');
  };
}
