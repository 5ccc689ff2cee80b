import type { AcceptedImageType } from '../../../contracts/image-types.ts';
import type { ScoredLabel } from '../../../contracts/prediction.ts';
import type { BundledModel } from '../models/bundled-models.ts';

/** Page → inference worker. */
export type WorkerRequest =
  | {
      readonly type: 'classify';
      readonly id: number;
      readonly image: Blob;
      readonly imageType: AcceptedImageType;
      /** null: no model on the device for this choice; only prepare the upload. */
      readonly model: BundledModel | null;
    }
  | { readonly type: 'warm-up'; readonly id: number; readonly model: BundledModel }
  | {
      readonly type: 'benchmark';
      readonly id: number;
      readonly image: Blob;
      readonly model: BundledModel;
      /** Timed runs of each stage, in batches of BENCHMARK_BATCH. */
      readonly runs: number;
    };

/** Stage times of one on-device classification, in milliseconds. */
export interface DeviceTimings {
  /** Scaling the decoded image to ≤ 512 px and reading its pixels. */
  readonly pixelsMs: number;
  readonly preprocessMs: number;
  /** Loading onnxruntime and the model; 0 once loaded. */
  readonly sessionMs: number;
  readonly inferenceMs: number;
}

/** Where a worker job failed; `worker`: the worker itself died. */
export type WorkerStage = 'decode' | 'preprocess' | 'model' | 'encode' | 'worker';

/**
 * Inference worker → page. `classify` answers `encoded` first (the upload never waits for the model)
 * and then `verdict` (when it has a model).
 */
export type WorkerResponse =
  | {
      readonly type: 'verdict';
      readonly id: number;
      readonly model: string;
      readonly modelVersion: string;
      readonly label: string;
      readonly confidence: number;
      readonly topK: readonly ScoredLabel[];
      /** Below the model's out-of-distribution threshold: "this doesn't look like …". */
      readonly outOfDistribution: boolean;
      readonly timings: DeviceTimings;
    }
  | {
      readonly type: 'encoded';
      readonly id: number;
      /** The bytes to upload: the original when small enough, else re-encoded at ≤ 1024 px. */
      readonly upload: Blob;
      readonly uploadType: AcceptedImageType;
      readonly thumbnail: Blob;
    }
  | { readonly type: 'ready'; readonly id: number; readonly sessionMs: number }
  /**
   * Bytes of onnxruntime's WASM and the model downloaded so far (id 0: not tied to one request; a
   * warm-up and a classification share the download). `total` is 0 when it is not known.
   */
  | { readonly type: 'download'; readonly id: 0; readonly loaded: number; readonly total: number }
  | {
      readonly type: 'benchmark';
      readonly id: number;
      /** Mean time per run of each batch, ms. */
      readonly decodeMs: readonly number[];
      readonly preprocessMs: readonly number[];
      readonly inferenceMs: readonly number[];
      readonly label: string;
    }
  | {
      readonly type: 'failed';
      readonly id: number;
      readonly stage: WorkerStage;
      /** The error's name, e.g. NoForegroundError, InvalidStateError. */
      readonly code: string;
      readonly message: string;
    };

/** Runs per timed batch in the benchmark: performance.now() is coarse (0.1 ms) without isolation. */
export const BENCHMARK_BATCH = 10;
