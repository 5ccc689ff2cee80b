import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  /** Delay before the second try; doubles each time, with ±50% jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  /**
   * Epoch milliseconds after which no new try starts (a Lambda's remaining time, say): the tries are
   * planned from the time left, not only counted.
   */
  readonly deadline?: number;
}

/** A failure worth trying again: the peer is down, slow or overloaded, not the request wrong. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * Runs `attempt` until it succeeds, throws something other than a TransientError, or the tries run
 * out (then the last TransientError is thrown). `signal` aborts the waits between tries.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (tryNumber: number) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await attempt(tryNumber);
    } catch (error) {
      if (!(error instanceof TransientError) || tryNumber >= policy.attempts) throw error;
      const delay =
        Math.min(policy.maxDelayMs ?? 30_000, policy.baseDelayMs * 2 ** (tryNumber - 1)) *
        (0.5 + Math.random());
      if (policy.deadline !== undefined && Date.now() + delay >= policy.deadline) throw error;
      await sleep(delay, undefined, { signal });
    }
  }
}

/** Network-level failures of undici and Node that say nothing about the request itself. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** True for connection refusals, resets and timeouts (including AbortSignal.timeout). */
export function isTransientNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** HTTP statuses worth retrying. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A per-try timeout that never runs past `deadline`: the smaller of `timeoutMs` and the time left
 * (at least `floorMs`, so a try is never started with no time at all).
 */
export function tryTimeout(timeoutMs: number, deadline: number | undefined, floorMs = 50): number {
  if (deadline === undefined) return timeoutMs;
  return Math.max(floorMs, Math.min(timeoutMs, deadline - Date.now()));
}
