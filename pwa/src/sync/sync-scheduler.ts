/**
 * When the page runs the sync engine: at start-up, when the network comes back (`online`), when the
 * app becomes visible again, and whenever something new is queued. Where Background Sync exists
 * (Chromium), work left over is also handed to the service worker, which runs even with the app closed.
 */
import type { UploadTicketRecord } from '../store/item-record.ts';
import * as store from '../store/item-store.ts';
import type { SyncReport } from './sync-engine.ts';
import { SYNC_TAG } from './sync-names.ts';

/** What the page's runs of the engine report, for the screen showing that item. */
export type SyncEventDetail =
  | { readonly kind: 'ticket'; readonly itemId: string; readonly ticket: UploadTicketRecord }
  | { readonly kind: 'progress'; readonly itemId: string; readonly fraction: number }
  | { readonly kind: 'uploaded'; readonly itemId: string }
  | { readonly kind: 'report'; readonly report: SyncReport };

type SyncListener = (detail: SyncEventDetail) => void;
const listeners = new Set<SyncListener>();

/** Subscribes to the page's sync runs; returns the unsubscribe function. */
export function onSyncEvent(listener: SyncListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function emit(detail: SyncEventDetail): void {
  for (const listener of listeners) listener(detail);
}

let running: Promise<SyncReport | null> | null = null;
let again = false;
/** Retries while online with work left (a flaky network; Safari has no Background Sync to do it). */
const RETRY_DELAYS_MS = [5_000, 15_000, 60_000, 300_000] as const;
let retries = 0;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Runs the engine now, or once more right after the run in progress (requests made meanwhile are
 * coalesced). Resolves with the last run's report, or null when the engine could not be loaded.
 */
export function requestSync(): Promise<SyncReport | null> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let report: SyncReport | null = null;
    do {
      again = false;
      report = await runOnce();
    } while (again);
    return report;
  })().finally(() => {
    running = null;
  });
  void running.then(scheduleRetry);
  return running;
}

function scheduleRetry(report: SyncReport | null): void {
  clearTimeout(retryTimer);
  if (!report || report.remaining === 0) {
    retries = 0;
    return;
  }
  // Offline: the `online` event (or Background Sync) will bring us back.
  if (!navigator.onLine) return;
  const delay = RETRY_DELAYS_MS[Math.min(retries, RETRY_DELAYS_MS.length - 1)];
  retries++;
  retryTimer = setTimeout(() => void requestSync(), delay);
}

async function runOnce(): Promise<SyncReport | null> {
  try {
    const [{ runSync }, { createTransport }, { uploadToS3 }] = await Promise.all([
      import('./sync-engine.ts'),
      import('./transport.ts'),
      import('../api/upload-to-s3.ts'),
    ]);
    const report = await runSync({
      store,
      transport: createTransport((ticket, body, signal, onProgress) =>
        uploadToS3(ticket, body, { signal, onProgress }),
      ),
      hooks: {
        onTicket: (itemId, ticket) => emit({ kind: 'ticket', itemId, ticket }),
        onProgress: (itemId, fraction) => emit({ kind: 'progress', itemId, fraction }),
        onUploaded: (itemId) => emit({ kind: 'uploaded', itemId }),
      },
      collectVerdicts: true,
    });
    emit({ kind: 'report', report });
    if (report.remaining > 0) await registerBackgroundSync();
    return report;
  } catch (error) {
    console.error('sync: run failed', error);
    return null;
  }
}

/** Asks the browser to wake the service worker for a sync when the network is back; false where unsupported. */
export async function registerBackgroundSync(): Promise<boolean> {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    const sync = (
      registration as
        | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
        | undefined
    )?.sync;
    if (!sync) return false;
    await sync.register(SYNC_TAG);
    return true;
  } catch {
    // Denied (e.g. a permission policy) or no active worker yet: the page's own triggers remain.
    return false;
  }
}

let started = false;

/** Starts the page's triggers: now, on `online`, and when the app becomes visible. */
export function startSyncTriggers(): void {
  if (started) return;
  started = true;
  void requestSync();
  window.addEventListener('online', () => void requestSync());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void requestSync();
  });
}
