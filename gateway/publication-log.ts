import { LRUCache } from 'lru-cache';

/**
 * Which uploads this gateway pushed a result for, and when (a counter, not a clock): a socket that
 * subscribed at mark `m` and then looks the upload up can tell whether a push reached it meanwhile.
 * Pushes go out through uWS topics (one native publish per result), so no per-socket record exists;
 * this is the cheap stand-in. Bounded: an upload forgotten here costs at worst one repeated message.
 */
export class PublicationLog {
  private sequence = 0;
  private readonly last: LRUCache<string, number>;

  constructor(capacity = 100_000) {
    this.last = new LRUCache({ max: capacity });
  }

  /** The current mark; take it when a socket subscribes. */
  mark(): number {
    return this.sequence;
  }

  /** Notes that a result for `uploadId` was just pushed to its topic. */
  record(uploadId: string): void {
    this.last.set(uploadId, ++this.sequence);
  }

  /** True when a result for `uploadId` was pushed after `mark`. */
  pushedSince(uploadId: string, mark: number): boolean {
    return (this.last.get(uploadId) ?? -1) > mark;
  }
}
