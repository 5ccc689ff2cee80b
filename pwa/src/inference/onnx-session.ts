/**
 * onnxruntime-web in the inference worker: loaded on first use (it is most of the worker's weight),
 * single-threaded WASM from our own origin, one session per model, each model's bytes checked
 * against the SHA-256 the build recorded.
 */

// The same file onnxruntime would fetch itself; fetched here so that its download shows progress.
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import type { InferenceSession } from 'onnxruntime-web/wasm';
import type { BundledModel } from '../models/bundled-models.ts';
import { DownloadTally, fetchWithProgress, type ProgressListener } from './fetch-with-progress.ts';

type Ort = typeof import('onnxruntime-web/wasm');

/** The model's bytes are not the ones the build shipped (a proxy's error page, a half-written cache). */
export class ModelIntegrityError extends Error {
  override readonly name = 'ModelIntegrityError';
}

/** Same-origin URL of onnxruntime's WASM, as built (hashed name). */
export const ORT_WASM_URL: string = ortWasmUrl;

let ortPromise: Promise<Ort> | undefined;
const sessions = new Map<string, Promise<InferenceSession>>();
/** Every download the first session needs (WASM + model), summed for one progress figure. */
const tally = new DownloadTally();

function loadOrt(): Promise<Ort> {
  ortPromise ??= Promise.all([
    import('onnxruntime-web/wasm'),
    fetchWithProgress(ORT_WASM_URL, __ORT_WASM_BYTES__, tally.part(ORT_WASM_URL)),
  ]).then(([ort, wasm]) => {
    // More threads need cross-origin isolation (COOP/COEP); one is plenty for a 10-MFLOP model.
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmBinary = wasm.buffer as ArrayBuffer;
    ort.env.logLevel = 'warning';
    return ort;
  });
  ortPromise.catch(() => {
    ortPromise = undefined;
  });
  return ortPromise;
}

/**
 * The session for `model`, created once (its promise shared by every caller). `onProgress` hears the
 * bytes downloaded so far of everything still loading (onnxruntime's WASM and the models).
 */
export function sessionFor(model: BundledModel, onProgress?: ProgressListener): Promise<InferenceSession> {
  if (onProgress) tally.listen(onProgress);
  let session = sessions.get(model.modelUrl);
  if (!session) {
    session = createSession(model);
    sessions.set(model.modelUrl, session);
    session.catch(() => sessions.delete(model.modelUrl));
  }
  return session;
}

async function createSession(model: BundledModel): Promise<InferenceSession> {
  const [ort, bytes] = await Promise.all([loadOrt(), fetchModel(model)]);
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

async function fetchModel(model: BundledModel): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await fetchWithProgress(model.modelUrl, model.bytes ?? 0, tally.part(model.modelUrl));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== model.sha256) {
    throw new ModelIntegrityError(`${model.modelUrl} has SHA-256 ${hex}, expected ${model.sha256}`);
  }
  return bytes;
}

/** Runs one preprocessed image through `model`: its output probabilities, one per label. */
export async function runModel(model: BundledModel, input: Float32Array): Promise<Float32Array> {
  const [ort, session] = await Promise.all([loadOrt(), sessionFor(model)]);
  const tensor = new ort.Tensor('float32', input, [1, ...model.input.dims]);
  const outputs = await session.run({ [model.input.name]: tensor });
  const output = outputs[model.output.name];
  if (!output || !(output.data instanceof Float32Array) || output.data.length !== model.labels.length) {
    throw new Error(
      `${model.name}/${model.version}: expected ${model.labels.length} probabilities in "${model.output.name}"`,
    );
  }
  return output.data;
}
