import type { ModelManifest } from '../contracts/model-manifest.ts';

/**
 * A loaded model that turns a batch of preprocessed inputs into class probabilities.
 * The onnxruntime adapter implements it; the batcher and the HTTP layer only see this.
 */
export interface Classifier {
  readonly manifest: ModelManifest;
  /** Execution provider the session actually runs on. */
  readonly executionProvider: string;
  /**
   * Runs `batchSize` rows laid out back to back in `input` (each `manifest.input.dims` elements)
   * and returns `batchSize × labels.length` probabilities.
   */
  run(input: Float32Array, batchSize: number): Promise<Float32Array>;
  /**
   * Tells a batching classifier that a request for it is on its way (its body still being read, its
   * images decoded), so a batch waits for it, up to the queue delay. Call the returned function once
   * the request has been handed to `run`, or given up.
   */
  announce?(): () => void;
  close(): Promise<void>;
}
