import type { ModelManifest } from '../contracts/model-manifest.ts';
import type { Classifier } from './classifier.ts';

/**
 * A stand-in for a model that answers without inference: every row gets the uniform distribution.
 * `GPU_HOST_NULL_MODEL=on` serves it in place of every model, so a benchmark can measure what the
 * HTTP path costs on its own (the host's ceiling when the model is free, as on a large GPU).
 */
export class NullClassifier implements Classifier {
  readonly executionProvider = 'null';
  private readonly rowLength: number;

  constructor(readonly manifest: ModelManifest) {
    this.rowLength = manifest.input.dims.reduce((a, b) => a * b, 1);
  }

  async run(input: Float32Array, batchSize: number): Promise<Float32Array> {
    if (input.length !== batchSize * this.rowLength) {
      throw new Error(`expected ${batchSize * this.rowLength} input values, got ${input.length}`);
    }
    const classes = this.manifest.labels.length;
    return new Float32Array(batchSize * classes).fill(1 / classes);
  }

  async close(): Promise<void> {}
}
