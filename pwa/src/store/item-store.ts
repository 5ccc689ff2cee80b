import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { withPendingFlag } from '../sync/sync-decisions.ts';
import type { ItemRecord } from './item-record.ts';

const DB_NAME = 'pictor';
const DB_VERSION = 1;
const CHANNEL_NAME = 'pictor-items';

interface PictorDb extends DBSchema {
  items: { key: string; value: ItemRecord; indexes: { createdAt: string; pending: number } };
}

let dbPromise: Promise<IDBPDatabase<PictorDb>> | undefined;

/** The app's database, opened once per page or service worker. */
function db(): Promise<IDBPDatabase<PictorDb>> {
  dbPromise ??= openDB<PictorDb>(DB_NAME, DB_VERSION, {
    upgrade(database) {
      const items = database.createObjectStore('items', { keyPath: 'id' });
      items.createIndex('createdAt', 'createdAt');
      items.createIndex('pending', 'pending');
    },
    // Another tab or a new service worker wants a newer schema: let it, and reopen on next use.
    blocking() {
      void dbPromise?.then((database) => database.close());
      dbPromise = undefined;
    },
    terminated() {
      dbPromise = undefined;
    },
  });
  return dbPromise;
}

/** Stores a new or replaced item (its `pending` flag recomputed) and tells every page and the worker. */
export async function putItem(item: ItemRecord): Promise<ItemRecord> {
  const stored = withPendingFlag(item);
  await (await db()).put('items', stored);
  announceChange(stored.id);
  return stored;
}

export async function getItem(id: string): Promise<ItemRecord | undefined> {
  return (await db()).get('items', id);
}

/**
 * Reads, changes and writes one item in a single transaction, so that a page and the service worker
 * changing it at once cannot lose each other's change. `change` must be synchronous; returning
 * undefined leaves the item as it was.
 */
export async function updateItem(
  id: string,
  change: (item: ItemRecord) => ItemRecord | undefined,
): Promise<ItemRecord | undefined> {
  const tx = (await db()).transaction('items', 'readwrite');
  const current = await tx.store.get(id);
  const next = current && change(current);
  if (next) await tx.store.put(withPendingFlag(next));
  await tx.done;
  if (next) announceChange(id);
  return next ? withPendingFlag(next) : current;
}

/** Every item, newest first. */
export async function listItems(): Promise<ItemRecord[]> {
  return (await (await db()).getAllFromIndex('items', 'createdAt')).reverse();
}

/** The items with something still to send, oldest first. */
export async function pendingItems(): Promise<ItemRecord[]> {
  const items = await (await db()).getAllFromIndex('items', 'pending', 1);
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Items created at or after `since` (ISO time), oldest first. */
export async function itemsSince(since: string): Promise<ItemRecord[]> {
  return (await db()).getAllFromIndex('items', 'createdAt', IDBKeyRange.lowerBound(since));
}

// ── change notifications ──────────────────────────────────────────────────────────────────────────

type ChangeListener = (id: string) => void;
const listeners = new Set<ChangeListener>();
let channel: BroadcastChannel | undefined;

function broadcastChannel(): BroadcastChannel | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  if (!channel) {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = (event: MessageEvent<{ id?: unknown }>) => {
      if (typeof event.data?.id === 'string') for (const listener of listeners) listener(event.data.id);
    };
  }
  return channel;
}

function announceChange(id: string): void {
  for (const listener of listeners) listener(id);
  // A BroadcastChannel does not deliver to its own sender: the local listeners were called above.
  broadcastChannel()?.postMessage({ id });
}

/**
 * Calls `listener` with the id of every item changed here, in another tab or in the service worker.
 * Returns the unsubscribe function.
 */
export function onItemChanged(listener: ChangeListener): () => void {
  broadcastChannel();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
