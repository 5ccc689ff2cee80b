/**
 * The one sync engine, run by the page (start-up, `online`, becoming visible, after each change) and
 * by the service worker (Background Sync): it uploads images that are not on S3 yet and then sends
 * their labels. Runs are serialised across the page and the service worker with the Web Locks API,
 * so the two never send the same thing at once; every step's outcome is written to IndexedDB before
 * the next, so a run cut short (offline, closed, crashed) resumes where it stopped.
 */
import { type LabelOutcome, type LabelSubmission, MAX_LABELS_PER_BATCH } from '../../../contracts/labels.ts';
import type { CreateUploadRequest, CreateUploadResponse } from '../../../contracts/uploads.ts';
import type { PredictionStatus } from '../../../contracts/ws-messages.ts';
import type { ItemRecord, UploadTicketRecord } from '../store/item-record.ts';
import {
  batches,
  classifyFailure,
  labelSubmissionOf,
  nextUploadStep,
  withLabelOutcome,
  withTicket,
  withUploaded,
  withUploadFailure,
} from './sync-decisions.ts';
import { SYNC_LOCK } from './sync-names.ts';

/** A verdict waits in the gateway for an hour; older uploads are not asked about. */
const VERDICT_COLLECT_WINDOW_MS = 55 * 60_000;
/** Fresher uploads are left to the page's WebSocket, which is most likely listening for them. */
const VERDICT_COLLECT_AFTER_MS = 30_000;
/** Tries per item per run: a refused (expired) URL is replaced and the PUT tried once more at once. */
const UPLOAD_TRIES_PER_RUN = 2;

/** The network calls the engine makes; the page and the service worker each bring their own. */
export interface SyncTransport {
  createUpload(request: CreateUploadRequest, signal: AbortSignal): Promise<CreateUploadResponse>;
  putObject(
    ticket: UploadTicketRecord,
    body: Blob,
    signal: AbortSignal,
    onProgress: (fraction: number) => void,
  ): Promise<void>;
  submitLabels(labels: LabelSubmission[], signal: AbortSignal): Promise<LabelOutcome[]>;
  /** null when worth asking again later. */
  fetchPrediction(
    ticket: { uploadId: string; token: string },
    signal: AbortSignal,
  ): Promise<PredictionStatus | null>;
}

/** The engine's view of IndexedDB (item-store.ts in the app; an in-memory fake in tests). */
export interface SyncStore {
  getItem(id: string): Promise<ItemRecord | undefined>;
  pendingItems(): Promise<ItemRecord[]>;
  itemsSince(since: string): Promise<ItemRecord[]>;
  updateItem(
    id: string,
    change: (item: ItemRecord) => ItemRecord | undefined,
  ): Promise<ItemRecord | undefined>;
}

/** Told as the engine works, so a page can show progress and subscribe to the verdict. */
export interface SyncHooks {
  onTicket?(itemId: string, ticket: UploadTicketRecord): void;
  onProgress?(itemId: string, fraction: number): void;
  onUploaded?(itemId: string): void;
}

export interface SyncOptions {
  readonly store: SyncStore;
  readonly transport: SyncTransport;
  readonly hooks?: SyncHooks;
  readonly signal?: AbortSignal;
  /** Also ask the gateway for verdicts of recent uploads that have none (the page does; cheap). */
  readonly collectVerdicts?: boolean;
  readonly now?: () => Date;
}

/** What a run did and what is left. */
export interface SyncReport {
  readonly uploaded: number;
  readonly labelsSent: number;
  readonly labelsRejected: number;
  readonly verdictsCollected: number;
  /** Items still with something to send. */
  readonly remaining: number;
  /** The run stopped because the network was gone. */
  readonly offline: boolean;
}

/** Runs the engine once, holding the sync lock (waiting for a run elsewhere to finish first). */
export function runSync(options: SyncOptions): Promise<SyncReport> {
  return withSyncLock(() => syncOnce(options));
}

class Offline extends Error {
  override readonly name = 'Offline';
}

async function syncOnce(options: SyncOptions): Promise<SyncReport> {
  const { store, transport, signal = new AbortController().signal } = options;
  const now = options.now ?? (() => new Date());
  let uploaded = 0;
  let labelsSent = 0;
  let labelsRejected = 0;
  let verdictsCollected = 0;
  let offline = false;

  try {
    // 1. Uploads, oldest first: a label can only be sent for an image S3 has.
    for (const item of await store.pendingItems()) {
      signal.throwIfAborted();
      if (await uploadItem(item.id, options, now)) uploaded++;
    }

    // 2. Labels, in batches; each outcome is stored as soon as the gateway answers.
    const submissions = (await store.pendingItems())
      .map((item) => ({ item, submission: labelSubmissionOf(item) }))
      .filter((x): x is { item: ItemRecord; submission: LabelSubmission } => x.submission !== null);
    for (const batch of batches(submissions, MAX_LABELS_PER_BATCH)) {
      signal.throwIfAborted();
      let outcomes: LabelOutcome[];
      try {
        outcomes = await transport.submitLabels(
          batch.map((b) => b.submission),
          signal,
        );
      } catch (error) {
        if (classifyFailure(error) === 'offline') throw new Offline(String(error));
        // A gateway that cannot store labels now: they stay pending for the next run.
        console.warn('sync: labels not sent, will retry', error);
        break;
      }
      for (const outcome of outcomes) {
        const entry = batch.find((b) => b.submission.labelId === outcome.labelId);
        if (!entry) continue;
        await store.updateItem(entry.item.id, (current) => withLabelOutcome(current, outcome, now()));
        if (outcome.status === 'rejected') labelsRejected++;
        else labelsSent++;
      }
    }

    // 3. Verdicts of recent uploads that nobody was listening for (e.g. uploaded by the service worker).
    if (options.collectVerdicts) verdictsCollected = await collectVerdicts(options, now);
  } catch (error) {
    if (error instanceof Offline) offline = true;
    else throw error;
  }
  const remaining = (await store.pendingItems()).length;
  return { uploaded, labelsSent, labelsRejected, verdictsCollected, remaining, offline };
}

/** Uploads one item if it needs it; true when S3 now has it. Throws Offline when the network is gone. */
async function uploadItem(id: string, options: SyncOptions, now: () => Date): Promise<boolean> {
  const { store, transport, hooks, signal = new AbortController().signal } = options;
  for (let attempt = 0; attempt < UPLOAD_TRIES_PER_RUN * 2; attempt++) {
    const item = await store.getItem(id);
    if (!item?.image) return false;
    const step = nextUploadStep(item, now());
    if (step.kind === 'none') return false;
    try {
      if (step.kind === 'create-upload') {
        const response = await transport.createUpload(
          { contentType: item.imageType, size: item.image.size, model: item.model },
          signal,
        );
        // Stored before the PUT: if we die mid-upload, the next run resumes with this URL.
        const updated = await store.updateItem(id, (current) => withTicket(current, response, now()));
        if (updated?.upload.status === 'ticketed') hooks?.onTicket?.(id, updated.upload.ticket);
      } else {
        hooks?.onProgress?.(id, 0);
        await transport.putObject(step.ticket, item.image, signal, (f) => hooks?.onProgress?.(id, f));
        await store.updateItem(id, (current) => withUploaded(current, now()));
        hooks?.onUploaded?.(id);
        return true;
      }
    } catch (error) {
      signal.throwIfAborted();
      const kind = classifyFailure(error);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await store.updateItem(id, (current) => withUploadFailure(current, kind, message));
      if (kind === 'offline') throw new Offline(message);
      if (kind !== 'ticket-refused') return false;
    }
  }
  return false;
}

async function collectVerdicts(options: SyncOptions, now: () => Date): Promise<number> {
  const { store, transport, signal = new AbortController().signal } = options;
  const since = new Date(now().getTime() - VERDICT_COLLECT_WINDOW_MS).toISOString();
  let collected = 0;
  const recent = now().getTime() - VERDICT_COLLECT_AFTER_MS;
  for (const item of await store.itemsSince(since)) {
    if (item.upload.status !== 'uploaded' || item.server || item.serverError) continue;
    if (Date.parse(item.upload.uploadedAt) > recent) continue;
    const status = await transport.fetchPrediction(item.upload, signal).catch((error: unknown) => {
      if (classifyFailure(error) === 'offline') throw new Offline(String(error));
      return null;
    });
    if (status?.status === 'done') {
      await store.updateItem(item.id, (current) => ({ ...current, server: status.prediction }));
      collected++;
    } else if (status?.status === 'failed' && status.final) {
      await store.updateItem(item.id, (current) => ({
        ...current,
        serverError: { code: status.error.code, message: status.error.message },
      }));
    }
  }
  return collected;
}

// ── the lock ──────────────────────────────────────────────────────────────────────────────────────

let localChain: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` holding the `pictor-sync` Web Lock, which the page and the service worker share. Where
 * the Web Locks API is missing (Safari before 15.4), runs are at least serialised within this context.
 */
export function withSyncLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks) return locks.request(SYNC_LOCK, task);
  const run = localChain.then(task);
  localChain = run.catch(() => {});
  return run;
}
