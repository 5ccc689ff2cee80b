/**
 * One image, from choosing it to its true label: the on-device verdict at once, the item stored in
 * IndexedDB, the upload (now, or by the sync engine when the network returns), the server's verdict
 * over the WebSocket, and the label the user taps. The view renders the state this reports.
 */

import type { LabelSource } from '../../contracts/labels.ts';
import type { Prediction } from '../../contracts/prediction.ts';
import { openVerdictChannel, type VerdictSource } from './api/verdict-channel.ts';
import { checkImageFile, checkUploadSize } from './check-image-file.ts';
import { describeError, type UserMessage } from './describe-error.ts';
import { PredictionFailedError } from './errors.ts';
import { classifyOnDevice, type DeviceInference, DeviceStageError } from './inference/device-classifier.ts';
import type { ModelChoice } from './models/model-catalogue.ts';
import { type ItemRecord, type LabelRecordLocal, uploadTicketOf } from './store/item-record.ts';
import { getItem, onItemChanged, putItem, updateItem } from './store/item-store.ts';
import { requestPersistentStorage } from './store/persistent-storage.ts';
import { withLabel } from './sync/sync-decisions.ts';
import { onSyncEvent, requestSync } from './sync/sync-scheduler.ts';

/** When the device cannot make a thumbnail, a file this small serves as its own. */
const THUMBNAIL_FALLBACK_MAX_BYTES = 200_000;

/** The on-device side of the verdict. */
export type DeviceState =
  | { readonly status: 'running' }
  | { readonly status: 'done'; readonly verdict: DeviceInference; readonly elapsedMs: number }
  /** No bundled model for this choice: only the server can answer. */
  | { readonly status: 'unavailable' }
  | { readonly status: 'failed'; readonly message: UserMessage };

/** The server side: the upload and the verdict pushed back. */
export type ServerState =
  | { readonly status: 'preparing' }
  /** Offline: the upload waits in IndexedDB for the network. */
  | { readonly status: 'queued' }
  | { readonly status: 'uploading'; readonly fraction: number }
  | { readonly status: 'waiting' }
  | { readonly status: 'retrying'; readonly message: string }
  | {
      readonly status: 'done';
      readonly prediction: Prediction;
      readonly via: VerdictSource | 'stored';
      readonly elapsedMs: number;
    }
  | { readonly status: 'failed'; readonly message: UserMessage };

export interface ClassifyState {
  readonly itemId: string;
  readonly model: ModelChoice;
  /** The chosen image, for the preview (an object URL the session revokes when disposed). */
  readonly previewUrl: string | null;
  readonly device: DeviceState;
  readonly server: ServerState;
  /** The item is in IndexedDB: a label can be given, and nothing is lost from here on. */
  readonly saved: boolean;
  readonly label?: LabelRecordLocal;
  /** The image cannot be classified at all (not an image, nothing in it): the only thing to show. */
  readonly fatal?: UserMessage;
}

/** What History keeps of the on-device verdict. */
function deviceRecord(device: DeviceInference): NonNullable<ItemRecord['device']> {
  return {
    model: device.model,
    modelVersion: device.modelVersion,
    label: device.label,
    confidence: device.confidence,
    topK: device.topK,
    inferenceMs: device.timings.inferenceMs,
  };
}

/** Adds the on-device verdict to a stored item (once; it may arrive after the item was stored). */
async function storeDeviceVerdict(itemId: string, device: DeviceInference): Promise<void> {
  await updateItem(itemId, (item) => (item.device ? undefined : { ...item, device: deviceRecord(device) }));
}

/** Drives one classification; `onChange` receives every new state. */
export class ClassifySession {
  private current: ClassifyState;
  private readonly cleanups: Array<() => void> = [];
  private channelFor: string | null = null;
  private closeChannel: (() => void) | null = null;
  private disposed = false;
  /** The item is in IndexedDB. */
  private stored = false;
  private deviceVerdict: DeviceInference | null = null;

  constructor(
    private readonly file: Blob,
    model: ModelChoice,
    /** `performance.now()` when the user chose the image. */
    private readonly chosenAt: number,
    private readonly onChange: (state: ClassifyState) => void,
  ) {
    this.current = {
      itemId: crypto.randomUUID(),
      model,
      previewUrl: null,
      device: model.device ? { status: 'running' } : { status: 'unavailable' },
      server: { status: 'preparing' },
      saved: false,
    };
  }

  get state(): ClassifyState {
    return this.current;
  }

  /**
   * Runs the pipeline; never rejects (failures become state). The upload starts as soon as the image
   * is encoded: it never waits for the on-device model, which may still be downloading (first visit).
   */
  async start(): Promise<void> {
    const { itemId, model } = this.current;
    let imageType: Awaited<ReturnType<typeof checkImageFile>>;
    try {
      imageType = await checkImageFile(this.file);
    } catch (error) {
      return this.update({ fatal: describeError(error) });
    }
    this.update({ previewUrl: URL.createObjectURL(this.file) });

    const job = classifyOnDevice(this.file, imageType, model.device);
    const deviceDone = this.followDevice(job.verdict);

    let prepared: Awaited<typeof job.prepared>;
    try {
      prepared = await job.prepared;
    } catch (error) {
      if (!(error instanceof DeviceStageError && (error.stage === 'worker' || error.stage === 'encode'))) {
        return this.update({ fatal: describeError(error) });
      }
      // No worker or no OffscreenCanvas encoder (older browsers): upload the file as it is.
      console.warn('could not prepare the upload on the device; sending the original', error);
      prepared = {
        upload: this.file,
        uploadType: imageType,
        thumbnail: this.file.size <= THUMBNAIL_FALLBACK_MAX_BYTES ? this.file : new Blob([]),
      };
    }
    try {
      checkUploadSize(prepared.upload);
    } catch (error) {
      return this.update({ fatal: describeError(error) });
    }

    const device = this.current.device.status === 'done' ? this.current.device.verdict : null;
    const item: ItemRecord = {
      id: itemId,
      createdAt: new Date().toISOString(),
      model: model.name,
      image: prepared.upload,
      imageType: prepared.uploadType,
      thumbnail: prepared.thumbnail,
      ...(device ? { device: deviceRecord(device) } : {}),
      upload: { status: 'waiting', attempts: 0 },
      pending: 1,
    };
    this.listen();
    await putItem(item);
    this.stored = true;
    requestPersistentStorage();
    this.update({
      saved: true,
      server: navigator.onLine ? { status: 'uploading', fraction: 0 } : { status: 'queued' },
    });
    void requestSync();
    // A verdict that came while the item was being stored, or comes later, is kept with it.
    await deviceDone;
    if (this.deviceVerdict) await storeDeviceVerdict(itemId, this.deviceVerdict);
  }

  /** Shows the on-device verdict whenever the model answers (after its first download, maybe minutes). */
  private async followDevice(verdict: Promise<DeviceInference | null>): Promise<void> {
    try {
      const device = await verdict;
      if (!device) return;
      this.deviceVerdict = device;
      this.update({ device: { status: 'done', verdict: device, elapsedMs: this.elapsed() } });
      if (this.stored) await storeDeviceVerdict(this.current.itemId, device);
    } catch (error) {
      // Not an image, or nothing in it: the upload side reports it (the same error rejects both).
      if (error instanceof DeviceStageError && error.stage !== 'model' && error.stage !== 'worker') return;
      console.warn('on-device inference failed', error);
      this.update({ device: { status: 'failed', message: describeError(error) } });
    }
  }

  /**
   * The user tapped the true label: stored at once (with its labelId and whether the app asked for it),
   * sent when possible.
   */
  async chooseLabel(label: string, source: LabelSource = 'volunteered'): Promise<void> {
    if (!this.current.saved) return;
    const updated = await updateItem(this.current.itemId, (item) =>
      withLabel(item, label, new Date(), () => crypto.randomUUID(), source),
    );
    if (updated?.label) this.update({ label: updated.label });
    void requestSync();
  }

  /**
   * Stops updating the screen (another image was chosen, or the user left the page). A verdict channel
   * already open stays until its verdict is stored in IndexedDB: the gateway pushes it only once.
   */
  dispose(): void {
    this.disposed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (this.current.previewUrl) URL.revokeObjectURL(this.current.previewUrl);
  }

  private elapsed(): number {
    return performance.now() - this.chosenAt;
  }

  private update(patch: Partial<ClassifyState>): void {
    if (this.disposed) return;
    this.current = { ...this.current, ...patch };
    this.onChange(this.current);
  }

  private setServer(server: ServerState): void {
    // A verdict, once there, is not replaced by upload progress of a retried upload.
    if (this.current.server.status === 'done') return;
    this.update({ server });
  }

  /** Follows the sync engine (this page's runs) and the item in IndexedDB (changed by anyone). */
  private listen(): void {
    const { itemId } = this.current;
    this.cleanups.push(
      onSyncEvent((event) => {
        if (event.kind === 'report') {
          if (event.report.offline && ['preparing', 'uploading'].includes(this.current.server.status)) {
            this.setServer({ status: 'queued' });
          }
          return;
        }
        if (event.itemId !== itemId) return;
        if (event.kind === 'ticket') this.subscribe(event.ticket);
        else if (event.kind === 'progress') this.setServer({ status: 'uploading', fraction: event.fraction });
        else if (event.kind === 'uploaded') this.setServer({ status: 'waiting' });
      }),
      onItemChanged((id) => {
        if (id === itemId) void this.refresh();
      }),
    );
  }

  /** Re-reads the item: its label's state, and an upload done elsewhere (the service worker). */
  private async refresh(): Promise<void> {
    const item = await getItem(this.current.itemId);
    if (!item || this.disposed) return;
    if (item.label) this.update({ label: item.label });
    if (item.server) {
      this.setServer({ status: 'done', prediction: item.server, via: 'stored', elapsedMs: this.elapsed() });
      return;
    }
    const ticket = uploadTicketOf(item);
    if (ticket) this.subscribe(ticket);
    if (item.upload.status === 'uploaded' && this.current.server.status !== 'done') {
      if (this.current.server.status !== 'retrying') this.setServer({ status: 'waiting' });
    }
    if (item.upload.status === 'failed') {
      this.setServer({
        status: 'failed',
        message: { text: 'The server would not take this image.', detail: item.upload.message },
      });
    }
  }

  /** Listens for the server's verdict on this upload (once per uploadId; a new URL means a new uploadId). */
  private subscribe(ticket: { uploadId: string; token: string }): void {
    if (this.channelFor === ticket.uploadId || this.disposed) return;
    this.closeChannel?.();
    this.channelFor = ticket.uploadId;
    const channel = openVerdictChannel(ticket, {
      onRetrying: (message) => this.setServer({ status: 'retrying', message }),
    });
    this.closeChannel = () => channel.close();
    channel.verdict.then(
      async ({ prediction, via }) => {
        if (this.channelFor !== ticket.uploadId) return;
        this.setServer({ status: 'done', prediction, via, elapsedMs: this.elapsed() });
        await updateItem(this.current.itemId, (item) =>
          item.server ? undefined : { ...item, server: prediction },
        );
      },
      async (error: unknown) => {
        if (this.channelFor !== ticket.uploadId) return;
        if (error instanceof DOMException && error.name === 'AbortError') return;
        this.setServer({ status: 'failed', message: describeError(error) });
        if (error instanceof PredictionFailedError) {
          await updateItem(this.current.itemId, (item) => ({
            ...item,
            serverError: { code: error.code, message: error.message },
          }));
        }
      },
    );
  }
}
