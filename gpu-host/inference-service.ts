import type { ImageClassification } from '../contracts/inference-api.ts';
import { preprocess } from '../contracts/preprocess.ts';
import { UnsupportedImageError } from './errors.ts';
import { type DecodeLimits, decodeImage } from './image-decoder.ts';
import type { ModelRegistry } from './model-registry.ts';
import { topK } from './top-k.ts';

/** The host's core: encoded image in, verdict out, through the model's own preprocessing. */
export class InferenceService {
  constructor(
    readonly registry: ModelRegistry,
    private readonly limits: DecodeLimits,
  ) {}

  /** Decodes, preprocesses and classifies one image; `k` is how many ranked labels to return. */
  async classifyImage(
    model: string,
    bytes: Uint8Array,
    k: number,
    version?: string,
  ): Promise<ImageClassification> {
    const classifier = this.registry.resolve(model, version);
    const { manifest } = classifier;
    const image = await decodeImage(bytes, this.limits);
    let input: Float32Array;
    try {
      input = preprocess(manifest.preprocessing, image);
    } catch (error) {
      // Preprocessing only throws for images it cannot read a subject from (blank, degenerate).
      throw new UnsupportedImageError(error instanceof Error ? error.message : String(error));
    }
    const probabilities = await classifier.run(input, 1);
    const ranked = topK(probabilities, manifest.labels, k);
    const best = ranked[0] as (typeof ranked)[number];
    return {
      model: manifest.name,
      modelVersion: manifest.version,
      label: best.label,
      confidence: best.confidence,
      topK: ranked,
    };
  }
}
