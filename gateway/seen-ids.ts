import { LRUCache } from 'lru-cache';

/** A bounded set of ids, oldest forgotten first: remembers what was already handled, in constant memory. */
export class SeenIds {
  private readonly ids: LRUCache<string, true>;

  constructor(capacity: number) {
    this.ids = new LRUCache({ max: capacity });
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    // set() makes an id seen again the newest, as before.
    this.ids.set(id, true);
  }
}
