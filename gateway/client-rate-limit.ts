import { LRUCache } from 'lru-cache';

/** How many requests a client may make: `burst` at once, refilled at `perMinute`. */
export interface RateLimitPolicy {
  readonly burst: number;
  readonly perMinute: number;
  /** Most clients remembered; the least recently seen are forgotten first (memory stays bounded). */
  readonly maxClients: number;
}

/** Presigns per client unless configured: a person uploads a few photos a minute. */
export const DEFAULT_PRESIGN_RATE_LIMIT: RateLimitPolicy = Object.freeze({
  burst: 30,
  perMinute: 60,
  maxClients: 100_000,
});

/** The answer for one request: allowed, or refused with how long to wait. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/**
 * A token bucket per client: each request takes a token; tokens come back at `perMinute` up to
 * `burst`. A client forgotten by the LRU comes back with a full bucket, which is what a new client
 * gets anyway, so forgetting never refuses anyone — it only costs the memory it saves.
 */
export class ClientRateLimit {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly refillPerMs: number;

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(policy.burst >= 1) || !(policy.perMinute > 0)) {
      throw new RangeError(
        `rate limit: burst must be ≥ 1 and perMinute > 0 (got ${policy.burst}, ${policy.perMinute})`,
      );
    }
    this.buckets = new LRUCache({ max: policy.maxClients });
    this.refillPerMs = policy.perMinute / 60_000;
  }

  /** Takes a token for `client` if it has one. */
  take(client: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.policy.burst, at: now };
    bucket.tokens = Math.min(this.policy.burst, bucket.tokens + (now - bucket.at) * this.refillPerMs);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)),
    };
  }

  /** Clients remembered now (at most `maxClients`). */
  get size(): number {
    return this.buckets.size;
  }
}
