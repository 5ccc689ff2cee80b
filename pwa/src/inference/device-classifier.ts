/**
 * The page's side of the inference worker: starts it on first use, matches answers to requests, and
 * turns the worker's failures into the app's errors.
 */
import type { AcceptedImageType } from '../../../contracts/image-types.ts';
import type { ScoredLabel } from '../../../contracts/prediction.ts';
import type { BundledModel } from '../models/bundled-models.ts';
import type { DeviceTimings, WorkerRequest, WorkerResponse, WorkerStage } from './worker-protocol.ts';

/** The on-device verdict. */
export interface DeviceInference {
  readonly model: string;
  readonly modelVersion: string;
  readonly label: string;
  readonly confidence: number;
  readonly topK: readonly ScoredLabel[];
  readonly outOfDistribution: boolean;
  readonly timings: DeviceTimings;
}

/** What the worker prepared for upload and History. */
export interface PreparedImage {
  readonly upload: Blob;
  readonly uploadType: AcceptedImageType;
  readonly thumbnail: Blob;
}

/** A worker job failed; `stage` says where (decode: not an image; preprocess: nothing found in it). */
export class DeviceStageError extends Error {
  override readonly name = 'DeviceStageError';
  constructor(
    readonly stage: WorkerStage,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (message: WorkerResponse) => void;
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** Bytes of onnxruntime's WASM and the models downloaded so far, summed (total 0: unknown). */
export interface DownloadProgress {
  readonly loaded: number;
  readonly total: number;
}

let worker: Worker | undefined;
let lastDownload: DownloadProgress | null = null;
const downloadListeners = new Set<(progress: DownloadProgress) => void>();

/**
 * Hears the first download of onnxruntime and the model (from the warm-up or a classification); gets
 * the latest figure at once when there is one. Returns the unsubscribe function.
 */
export function onDeviceDownload(listener: (progress: DownloadProgress) => void): () => void {
  downloadListeners.add(listener);
  if (lastDownload) listener(lastDownload);
  return () => downloadListeners.delete(listener);
}
let nextId = 1;
const handlers = new Map<number, Handler>();

function ensureWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./inference.worker.ts', import.meta.url), {
    type: 'module',
    name: 'pictor-inference',
  });
  started.onmessage = (event: MessageEvent<WorkerResponse>) => {
    const message = event.data;
    if (message.type === 'download') {
      lastDownload = { loaded: message.loaded, total: message.total };
      for (const listener of downloadListeners) listener(lastDownload);
      return;
    }
    handlers.get(message.id)?.(message);
  };
  started.onerror = (event) => {
    // The worker died (failed to load, out of memory): fail what it had, start afresh next time.
    event.preventDefault();
    worker = undefined;
    started.terminate();
    const failure: WorkerResponse = {
      type: 'failed',
      id: 0,
      stage: 'worker',
      code: 'WorkerError',
      message: event.message || 'the inference worker stopped',
    };
    for (const [id, handler] of handlers) handler({ ...failure, id });
    handlers.clear();
  };
  worker = started;
  return started;
}

function send(request: Request, handler: Handler): number {
  const id = nextId++;
  handlers.set(id, handler);
  ensureWorker().postMessage({ ...request, id } as WorkerRequest);
  return id;
}

const toError = (m: Extract<WorkerResponse, { type: 'failed' }>) =>
  new DeviceStageError(m.stage, m.code, m.message);

/**
 * Classifies `image` on the device with `model` (none: only prepares the upload). `prepared` settles
 * first, once the upload and thumbnail are encoded (it never waits for the model to download);
 * `verdict` when the model has answered. A failure to decode or to find anything in the image rejects
 * both; a model that cannot load or run on this device rejects only `verdict`.
 */
export function classifyOnDevice(
  image: Blob,
  imageType: AcceptedImageType,
  model: BundledModel | null,
): { verdict: Promise<DeviceInference | null>; prepared: Promise<PreparedImage> } {
  let settleVerdict!: { resolve: (v: DeviceInference | null) => void; reject: (e: Error) => void };
  let settlePrepared!: { resolve: (v: PreparedImage) => void; reject: (e: Error) => void };
  const verdict = new Promise<DeviceInference | null>((resolve, reject) => {
    settleVerdict = { resolve, reject };
  });
  const prepared = new Promise<PreparedImage>((resolve, reject) => {
    settlePrepared = { resolve, reject };
  });
  // Whoever awaits only one of them must not see the other's rejection as unhandled.
  verdict.catch(() => {});
  prepared.catch(() => {});
  if (!model) settleVerdict.resolve(null);
  // `encoded` comes first (the upload does not wait for the model), then `verdict`.
  const id = send({ type: 'classify', image, imageType, model }, (message) => {
    switch (message.type) {
      case 'encoded':
        if (!model) handlers.delete(id);
        settlePrepared.resolve({
          upload: message.upload,
          uploadType: message.uploadType,
          thumbnail: message.thumbnail,
        });
        return;
      case 'verdict':
        handlers.delete(id);
        settleVerdict.resolve({
          model: message.model,
          modelVersion: message.modelVersion,
          label: message.label,
          confidence: message.confidence,
          topK: message.topK,
          outOfDistribution: message.outOfDistribution,
          timings: message.timings,
        });
        return;
      case 'failed':
        if (message.stage === 'encode') {
          // No encoder here (older browsers): the original is uploaded; the verdict still comes.
          settlePrepared.reject(toError(message));
          if (!model) handlers.delete(id);
          return;
        }
        handlers.delete(id);
        settleVerdict.reject(toError(message));
        // The model could not run here: the upload was prepared before it (a no-op if so).
        settlePrepared.reject(toError(message));
        return;
    }
  });
  return { verdict, prepared };
}

/** Loads onnxruntime and `model` in the worker ahead of the first photo; resolves with the time it took. */
export function warmUpDevice(model: BundledModel): Promise<number> {
  return new Promise((resolve, reject) => {
    const id = send({ type: 'warm-up', model }, (message) => {
      handlers.delete(id);
      if (message.type === 'ready') resolve(message.sessionMs);
      else if (message.type === 'failed') reject(toError(message));
    });
  });
}

/** Per-run stage times measured inside the worker (see bench/pwa.ts). */
export function benchmarkOnDevice(
  image: Blob,
  model: BundledModel,
  runs: number,
): Promise<Extract<WorkerResponse, { type: 'benchmark' }>> {
  return new Promise((resolve, reject) => {
    const id = send({ type: 'benchmark', image, model, runs }, (message) => {
      handlers.delete(id);
      if (message.type === 'benchmark') resolve(message);
      else if (message.type === 'failed') reject(toError(message));
    });
  });
}
