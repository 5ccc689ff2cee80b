import { resultUploadId, type UploadResult } from '../contracts/results.ts';

/** What storing a result did. */
export type StoreOutcome = 'stored' | 'replaced' | 'duplicate';

/**
 * Results by uploadId, kept until a subscriber or a poll can fetch them, then expired.
 * A prediction is final: a later copy (a retried or replayed Lambda) is a duplicate and is not
 * delivered again. An error can be replaced — by a prediction from a retry that succeeded.
 */
export class ResultStore {
  private readonly entries = new Map<string, { result: UploadResult; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  put(result: UploadResult): StoreOutcome {
    const uploadId = resultUploadId(result);
    const existing = this.get(uploadId);
    if (existing?.type === 'prediction') return 'duplicate';
    if (existing && result.type === 'error' && sameError(existing, result)) return 'duplicate';
    this.entries.delete(uploadId);
    this.entries.set(uploadId, { result, expiresAt: this.now() + this.ttlMs });
    this.evict();
    return existing ? 'replaced' : 'stored';
  }

  get(uploadId: string): UploadResult | undefined {
    const entry = this.entries.get(uploadId);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(uploadId);
      return undefined;
    }
    return entry.result;
  }

  get size(): number {
    return this.entries.size;
  }

  // Map iteration is insertion order, so the oldest entries go first.
  private evict(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}

function sameError(a: UploadResult, b: UploadResult): boolean {
  return (
    a.type === 'error' &&
    b.type === 'error' &&
    a.error.code === b.error.code &&
    a.error.message === b.error.message
  );
}
