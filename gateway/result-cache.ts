import { resultUploadId, type UploadResult } from '../contracts/results.ts';
import type { ResultStore, StoreOutcome } from './result-store.ts';

/**
 * Results waiting for their subscriber or a poll, readable by every gateway that shares the cache.
 * Same rules whatever holds them: the first final result (a prediction or a final error) wins, a later
 * copy is a `duplicate`; a non-final error can be `replaced` by a prediction or a different error;
 * entries expire; the cache is bounded, and errors can only evict errors, never a verdict.
 */
export interface ResultCache {
  /** True when `put` itself announces a new result on the result bus (atomically, in Redis). */
  readonly announces: boolean;
  put(result: UploadResult): Promise<StoreOutcome>;
  get(uploadId: string): Promise<UploadResult | undefined>;
  close(): Promise<void>;
}

/** The single gateway's cache: its in-process ResultStore behind the shared interface. */
export class MemoryResultCache implements ResultCache {
  readonly announces = false;
  constructor(readonly store: ResultStore) {}

  async put(result: UploadResult): Promise<StoreOutcome> {
    return this.store.put(result);
  }

  async get(uploadId: string): Promise<UploadResult | undefined> {
    return this.store.get(uploadId);
  }

  async close(): Promise<void> {}
}

/** The upload a result is for, and what makes two results the same (the cache's duplicate test). */
export function resultIdentity(result: UploadResult): { uploadId: string; identity: string } {
  const uploadId = resultUploadId(result);
  // `final` is part of an error's identity, as in ResultStore: the same error turned final is news.
  const identity =
    result.type === 'prediction'
      ? 'prediction'
      : `error\n${result.error.final ? 'final' : 'retrying'}\n${result.error.code}\n${result.error.message}`;
  return { uploadId, identity };
}
