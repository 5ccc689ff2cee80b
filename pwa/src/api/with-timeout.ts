/**
 * A signal that aborts when `signal` does or after `ms` (then with a `TimeoutError` DOMException),
 * so that no network call can hold the sync lock forever on a network that swallows packets.
 */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  if (!signal) return timeout;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([signal, timeout]);
  const controller = new AbortController();
  const forward = (source: AbortSignal) => () => controller.abort(source.reason);
  signal.addEventListener('abort', forward(signal), { once: true });
  timeout.addEventListener('abort', forward(timeout), { once: true });
  return controller.signal;
}

/** How long an API call to the gateway may take before it counts as a lost network. */
export const API_TIMEOUT_MS = 15_000;
