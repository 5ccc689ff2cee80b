/**
 * The inference worker: decodes the chosen image, classifies it with the bundled ONNX model on the
 * same preprocessing as the server (contracts/preprocess.ts), and prepares the upload and thumbnail,
 * all off the page's main thread.
 */

import { isOutOfDistribution } from '../../../contracts/out-of-distribution.ts';
import { preprocess } from '../../../contracts/preprocess.ts';
import { topK } from '../../../contracts/top-k.ts';
import type { BundledModel } from '../models/bundled-models.ts';
import { decodeImage, encodeForUpload, pixelsForPreprocessing, thumbnailOf } from './image-pipeline.ts';
import { runModel, sessionFor } from './onnx-session.ts';
import {
  BENCHMARK_BATCH,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerStage,
} from './worker-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const TOP_K = 3;

function post(message: WorkerResponse): void {
  self.postMessage(message);
}

/** Runs `step`, turning a failure into a `failed` message for `stage`; resolves undefined then. */
async function stage<T>(id: number, name: WorkerStage, step: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', id, stage: name, code: err.name, message: err.message });
    return undefined;
  }
}

async function classify(request: Extract<WorkerRequest, { type: 'classify' }>): Promise<void> {
  const { id, model } = request;
  const bitmap = await stage(id, 'decode', () => decodeImage(request.image));
  if (!bitmap) return;
  let classified: ImageBitmap | undefined;
  try {
    // Encoded first: the server classifies what is uploaded, so the device classifies those same bytes
    // (a re-encoded upload is not the original, and a borderline digit could tip between the two).
    const prepared = await stage(id, 'encode', () =>
      Promise.all([encodeForUpload(bitmap, request.image, request.imageType), thumbnailOf(bitmap)]),
    );
    // No encoder here (older browsers): the original is uploaded, so the original is classified.
    const [upload, thumbnail] = prepared ?? [{ blob: request.image, type: request.imageType }, undefined];
    classified =
      !model || upload.blob === request.image
        ? bitmap
        : ((await decodeImage(upload.blob).catch(() => undefined)) ?? bitmap);
    let input: Float32Array | undefined;
    // Nothing to classify in the image: stop (it is not worth uploading). This needs no model.
    const t0 = performance.now();
    const pixels = pixelsForPreprocessing(classified);
    const t1 = performance.now();
    if (model) {
      input = await stage(id, 'preprocess', () => preprocess(model.preprocessing, pixels));
      if (!input) return;
    }
    const t2 = performance.now();
    // The upload goes first: it never waits for onnxruntime and the model to download (slow first visit).
    if (thumbnail) post({ type: 'encoded', id, upload: upload.blob, uploadType: upload.type, thumbnail });
    if (!model || !input) return;
    await verdictFor(id, model, input, { pixelsMs: t1 - t0, preprocessMs: t2 - t1 });
  } finally {
    bitmap.close();
    if (classified !== bitmap) classified?.close();
  }
}

/** Runs the model and posts the verdict; a model that fails to load or run is reported as stage `model`. */
async function verdictFor(
  id: number,
  model: BundledModel,
  input: Float32Array,
  before: { pixelsMs: number; preprocessMs: number },
): Promise<void> {
  await stage(id, 'model', async () => {
    const t2 = performance.now();
    await sessionFor(model, postDownload);
    const t3 = performance.now();
    const probabilities = await runModel(model, input);
    const t4 = performance.now();
    const ranked = topK(probabilities, model.labels, TOP_K);
    const best = ranked[0] ?? { label: model.labels[0] as string, confidence: 0 };
    post({
      type: 'verdict',
      id,
      model: model.name,
      modelVersion: model.version,
      label: best.label,
      confidence: best.confidence,
      topK: ranked,
      outOfDistribution: isOutOfDistribution(model, best.confidence),
      timings: { ...before, sessionMs: t3 - t2, inferenceMs: t4 - t3 },
    });
  });
}

function postDownload(loaded: number, total: number): void {
  post({ type: 'download', id: 0, loaded, total });
}

/** Times each stage many times over, in batches (see BENCHMARK_BATCH). */
async function benchmark(request: Extract<WorkerRequest, { type: 'benchmark' }>): Promise<void> {
  const { id, model, runs } = request;
  const batchCount = Math.max(1, Math.ceil(runs / BENCHMARK_BATCH));
  const timeBatches = async (run: () => Promise<unknown> | unknown): Promise<number[]> => {
    const means: number[] = [];
    for (let b = 0; b < batchCount; b++) {
      const start = performance.now();
      for (let i = 0; i < BENCHMARK_BATCH; i++) await run();
      means.push((performance.now() - start) / BENCHMARK_BATCH);
    }
    return means;
  };
  await stage(id, 'model', async () => {
    const bitmap = await decodeImage(request.image);
    const pixels = pixelsForPreprocessing(bitmap);
    bitmap.close();
    const input = preprocess(model.preprocessing, pixels);
    // Warm: the first runs allocate.
    for (let i = 0; i < 5; i++) await runModel(model, input);
    const decodeMs = await timeBatches(async () => {
      const b = await decodeImage(request.image);
      pixelsForPreprocessing(b);
      b.close();
    });
    const preprocessMs = await timeBatches(() => preprocess(model.preprocessing, pixels));
    const inferenceMs = await timeBatches(() => runModel(model, input));
    const probabilities = await runModel(model, input);
    const label = topK(probabilities, model.labels, 1)[0]?.label ?? '';
    post({ type: 'benchmark', id, decodeMs, preprocessMs, inferenceMs, label });
  });
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  switch (request.type) {
    case 'classify':
      void classify(request);
      return;
    case 'warm-up':
      void stage(request.id, 'model', async () => {
        const start = performance.now();
        await sessionFor(request.model, postDownload);
        post({ type: 'ready', id: request.id, sessionMs: performance.now() - start });
      });
      return;
    case 'benchmark':
      void benchmark(request);
      return;
  }
};
