import { LRUCache } from 'lru-cache';
import { resultUploadId, type UploadResult } from '../contracts/results.ts';

/** What storing a result did. */
export type StoreOutcome = 'stored' | 'replaced' | 'duplicate';

/** True for a result after which nothing more comes: a prediction or a final error. */
export function isFinal(result: UploadResult): boolean {
  return result.type === 'prediction' || result.error.final;
}

/**
 * Results by uploadId, kept in memory until a subscriber or a poll can fetch them, then expired (the
 * S3 outcome record stays the source of truth; see outcome-lookup.ts). The first final result wins:
 * a later copy (a retried or replayed Lambda, a re-drive) is a duplicate and is not delivered again.
 * A non-final error is replaced by whatever comes next.
 *
 * Verdicts and errors live in separate bounded pools, so a flood of errors from garbage uploads can
 * only evict other errors, never another user's verdict.
 */
export class ResultStore {
  private readonly verdicts: BoundedPool;
  private readonly errors: BoundedPool;

  constructor(
    ttlMs: number,
    maxVerdicts: number,
    maxErrors: number = maxVerdicts,
    now: () => number = Date.now,
  ) {
    this.verdicts = new BoundedPool(ttlMs, maxVerdicts, now);
    this.errors = new BoundedPool(ttlMs, maxErrors, now);
  }

  put(result: UploadResult): StoreOutcome {
    const uploadId = resultUploadId(result);
    const existing = this.get(uploadId);
    if (existing && isFinal(existing)) return 'duplicate';
    if (existing && result.type === 'error' && sameError(existing, result)) return 'duplicate';
    this.errors.delete(uploadId);
    (result.type === 'prediction' ? this.verdicts : this.errors).set(uploadId, result);
    return existing ? 'replaced' : 'stored';
  }

  get(uploadId: string): UploadResult | undefined {
    return this.verdicts.get(uploadId) ?? this.errors.get(uploadId);
  }

  get size(): number {
    return this.verdicts.size + this.errors.size;
  }
}

/** A map with a time to live and a capacity (lru-cache); the least recently stored entries go first. */
class BoundedPool {
  private readonly entries: LRUCache<string, UploadResult>;

  constructor(ttlMs: number, capacity: number, now: () => number) {
    // ttlResolution 0: expiry is judged against the clock at each read, not a clock cached for a tick.
    this.entries = new LRUCache({ max: capacity, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  }

  get(uploadId: string): UploadResult | undefined {
    // peek: a read does not make an entry younger; expired entries read as absent.
    return this.entries.peek(uploadId);
  }

  set(uploadId: string, result: UploadResult): void {
    this.entries.set(uploadId, result);
  }

  delete(uploadId: string): void {
    this.entries.delete(uploadId);
  }

  get size(): number {
    return this.entries.size;
  }
}

function sameError(a: UploadResult, b: UploadResult): boolean {
  return (
    a.type === 'error' &&
    b.type === 'error' &&
    a.error.code === b.error.code &&
    a.error.message === b.error.message &&
    a.error.final === b.error.final
  );
}
