/**
 * Live History: every uploaded item still without the server's verdict gets one, however late it
 * arrives, without a reload. The page watches each such upload (WebSocket, polling when the socket
 * fails; a verdict given before the subscription is delivered on subscribe) and stores what comes
 * into IndexedDB, where History and the Classify page see it. Uploads sent by the service worker
 * (Background Sync) are picked up as soon as their item changes.
 */
import { openVerdictChannel, type VerdictChannel } from '../api/verdict-channel.ts';
import { PredictionFailedError } from '../errors.ts';
import type { ItemRecord } from '../store/item-record.ts';
import { listItems, onItemChanged, updateItem } from '../store/item-store.ts';

/** Uploads watched at once; more wait for the next scan. */
const MAX_CHANNELS = 4;
/** A channel that gave up (timeout, network) is opened again on a later scan, this often. */
const RESCAN_MS = 30_000;
/** Item changes come in bursts (a sync run): one scan per burst. */
const SCAN_DEBOUNCE_MS = 200;

const channels = new Map<string, VerdictChannel>();
/** Uploads whose channel gave up: not before this time (ms), with the tries so far (backoff). */
const backoff = new Map<string, { notBefore: number; tries: number }>();
const MAX_BACKOFF_MS = 10 * 60_000;
let started = false;
let scanTimer: ReturnType<typeof setTimeout> | undefined;
let rescanTimer: ReturnType<typeof setInterval> | undefined;

/** True when `item` is on S3 and still has no final answer from the server. */
export function awaitsVerdict(item: ItemRecord): boolean {
  return item.upload.status === 'uploaded' && !item.server && !item.serverError;
}

/** Starts watching (once per page); pending uploads are looked at now and on every change. */
export function startVerdictWatcher(): void {
  if (started) return;
  started = true;
  onItemChanged(() => scheduleScan());
  window.addEventListener('online', () => scheduleScan());
  rescanTimer = setInterval(() => scheduleScan(), RESCAN_MS);
  scheduleScan();
}

/** Stops every channel (tests, page teardown). */
export function stopVerdictWatcher(): void {
  clearInterval(rescanTimer);
  clearTimeout(scanTimer);
  for (const channel of channels.values()) channel.close();
  channels.clear();
  backoff.clear();
  started = false;
}

function scheduleScan(): void {
  clearTimeout(scanTimer);
  scanTimer = setTimeout(() => void scan(), SCAN_DEBOUNCE_MS);
}

async function scan(): Promise<void> {
  if (!navigator.onLine) return;
  let items: ItemRecord[];
  try {
    items = await listItems();
  } catch (error) {
    console.warn('verdict watcher: could not read IndexedDB', error);
    return;
  }
  for (const item of items) {
    if (channels.size >= MAX_CHANNELS) return;
    if (item.upload.status !== 'uploaded' || !awaitsVerdict(item) || channels.has(item.upload.uploadId)) {
      continue;
    }
    if ((backoff.get(item.upload.uploadId)?.notBefore ?? 0) > Date.now()) continue;
    watch(item.id, { uploadId: item.upload.uploadId, token: item.upload.token });
  }
}

function watch(itemId: string, ticket: { uploadId: string; token: string }): void {
  const channel = openVerdictChannel(ticket);
  channels.set(ticket.uploadId, channel);
  channel.verdict
    .then(
      ({ prediction }) =>
        updateItem(itemId, (item) => (item.server ? undefined : { ...item, server: prediction })),
      async (error: unknown) => {
        if (error instanceof PredictionFailedError) {
          // A final answer: the server could not read it. History shows it as such.
          await updateItem(itemId, (item) =>
            item.server || item.serverError
              ? undefined
              : { ...item, serverError: { code: error.code, message: error.message } },
          );
          return;
        }
        // Timed out, no network, or the subscription refused: watched again on a later scan, so a late verdict still lands.
        const tries = (backoff.get(ticket.uploadId)?.tries ?? 0) + 1;
        const wait = Math.min(MAX_BACKOFF_MS, RESCAN_MS * 2 ** (tries - 1));
        backoff.set(ticket.uploadId, { notBefore: Date.now() + wait, tries });
        console.warn(`verdict watcher: no verdict yet for ${ticket.uploadId}; will ask again`, error);
      },
    )
    .catch((error: unknown) => console.warn('verdict watcher: could not store a verdict', error))
    .finally(() => {
      channels.delete(ticket.uploadId);
      scheduleScan();
    });
}
