/**
 * The wait a `Retry-After` header asks for, in milliseconds: delta-seconds (`5`) or an HTTP date.
 * Undefined when the header is absent or unreadable, so the caller falls back to its own backoff.
 */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
