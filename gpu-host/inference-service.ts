import { sniffImageType } from '../contracts/image-types.ts';
import type { ImageClassification } from '../contracts/inference-api.ts';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { isOutOfDistribution } from '../contracts/out-of-distribution.ts';
import { preprocess } from '../contracts/preprocess.ts';
import { topK } from '../contracts/top-k.ts';
import type { Classifier } from './classifier.ts';
import { atElement, ImageTooLargeError, UnsupportedImageError } from './errors.ts';
import { type DecodeLimits, decodeImage } from './image-decoder.ts';
import type { GpuHostMetrics } from './metrics.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { ModelInput } from './v2-infer-request.ts';

/**
 * The host's core: a model input in, probabilities out. Encoded images are decoded and preprocessed as
 * the model's manifest says (a preprocessing step in front of the model, like a Triton ensemble), then
 * run like any tensor, through the model's dynamic batcher when batching is on.
 */
export class InferenceService {
  constructor(
    readonly registry: ModelRegistry,
    private readonly limits: DecodeLimits,
    private readonly metrics: GpuHostMetrics,
  ) {}

  /**
   * Runs a validated input through `classifier`; returns `batchSize × labels.length` probabilities.
   * `queued` is called as soon as the input has been handed to the model (or has failed before).
   */
  async run(classifier: Classifier, input: ModelInput, queued?: () => void): Promise<Float32Array> {
    let data: Float32Array;
    try {
      data =
        input.kind === 'tensor' ? input.data : await this.imagesToTensor(classifier.manifest, input.images);
    } catch (error) {
      queued?.();
      throw error;
    }
    const output = classifier.run(data, input.batchSize);
    queued?.();
    return output;
  }

  /** Decodes, preprocesses and classifies one image; `k` is how many ranked labels to return. */
  async classifyImage(
    classifier: Classifier,
    bytes: Uint8Array,
    k: number,
    queued?: () => void,
  ): Promise<ImageClassification> {
    const { manifest } = classifier;
    const probabilities = await this.run(
      classifier,
      { kind: 'images', batchSize: 1, images: [bytes] },
      queued,
    );
    const ranked = topK(probabilities, manifest.labels, k);
    const best = ranked[0] as (typeof ranked)[number];
    return {
      model: manifest.name,
      modelVersion: manifest.version,
      label: best.label,
      confidence: best.confidence,
      topK: ranked,
      outOfDistribution: isOutOfDistribution(manifest, best.confidence),
    };
  }

  /** Every image to one row of the model's input, rows back to back; errors name the element. */
  private async imagesToTensor(
    manifest: ModelManifest,
    images: readonly Uint8Array[],
  ): Promise<Float32Array> {
    const rows = await Promise.all(
      images.map((bytes, i) =>
        this.imageToRow(manifest, bytes).catch((error: unknown) => {
          throw atElement(error, `image[${i}]`);
        }),
      ),
    );
    if (rows.length === 1) return rows[0] as Float32Array;
    const rowLength = manifest.input.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(rows.length * rowLength);
    rows.forEach((row, i) => {
      data.set(row, i * rowLength);
    });
    return data;
  }

  private async imageToRow(manifest: ModelManifest, bytes: Uint8Array): Promise<Float32Array> {
    try {
      const image = await decodeImage(bytes, this.limits);
      this.metrics.imageDecoded(sniffImageType(bytes) ?? 'unknown');
      try {
        return preprocess(manifest.preprocessing, image);
      } catch (error) {
        // Preprocessing only throws for images it cannot read a subject from (blank, degenerate).
        throw new UnsupportedImageError(error instanceof Error ? error.message : String(error));
      }
    } catch (error) {
      if (error instanceof ImageTooLargeError) this.metrics.imageRefused('too_large');
      else if (error instanceof UnsupportedImageError) this.metrics.imageRefused('unsupported');
      throw error;
    }
  }
}
