import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import type { Classifier } from './classifier.ts';
import type { ExecutionProviderName } from './config.ts';

export interface OnnxSessionOptions {
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly intraOpThreads: number;
  /** Told which provider was given up on and why, e.g. CUDA on a machine without it. */
  readonly onProviderUnavailable?: (provider: ExecutionProviderName, reason: string) => void;
}

/**
 * Loads `modelPath` into one onnxruntime session, trying the providers in order: a provider that
 * fails to initialise (CUDA without its libraries) is reported and the next one is tried.
 */
export async function loadOnnxClassifier(
  manifest: ModelManifest,
  modelPath: string,
  options: OnnxSessionOptions,
): Promise<Classifier> {
  let lastError: unknown;
  for (const provider of options.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      checkSessionMatchesManifest(session, manifest);
      return new OnnxClassifier(manifest, session, provider);
    } catch (error) {
      lastError = error;
      options.onProviderUnavailable?.(provider, error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(
    `could not load ${manifest.name}/${manifest.version} with any of ${options.executionProviders.join(', ')}: ${String(lastError)}`,
  );
}

function checkSessionMatchesManifest(session: ort.InferenceSession, manifest: ModelManifest): void {
  if (!session.inputNames.includes(manifest.input.name)) {
    throw new Error(
      `model has inputs ${session.inputNames.join(', ')}, manifest names "${manifest.input.name}"`,
    );
  }
  if (!session.outputNames.includes(manifest.output.name)) {
    throw new Error(
      `model has outputs ${session.outputNames.join(', ')}, manifest names "${manifest.output.name}"`,
    );
  }
}

class OnnxClassifier implements Classifier {
  private readonly rowLength: number;
  private readonly classes: number;

  constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
    readonly executionProvider: string,
  ) {
    this.rowLength = manifest.input.dims.reduce((a, b) => a * b, 1);
    this.classes = manifest.labels.length;
  }

  async run(input: Float32Array, batchSize: number): Promise<Float32Array> {
    if (input.length !== batchSize * this.rowLength) {
      throw new Error(`expected ${batchSize * this.rowLength} input values, got ${input.length}`);
    }
    const tensor = new ort.Tensor('float32', input, [batchSize, ...this.manifest.input.dims]);
    const outputs = await this.session.run({ [this.manifest.input.name]: tensor });
    const output = outputs[this.manifest.output.name];
    if (
      !output ||
      !(output.data instanceof Float32Array) ||
      output.data.length !== batchSize * this.classes
    ) {
      throw new Error(
        `${this.manifest.name}/${this.manifest.version} returned an output of unexpected shape ${JSON.stringify(output?.dims)}`,
      );
    }
    return output.data;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
