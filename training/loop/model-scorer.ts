import type { ModelManifest } from '../../contracts/model-manifest.ts';
import { isOutOfDistribution } from '../../contracts/out-of-distribution.ts';
import { loadOnnxClassifier } from '../../gpu-host/onnx-classifier.ts';

/** A model's verdict on one evaluation input; null when there was no input (a blank page). */
export interface ItemVerdict {
  readonly label: number;
  readonly confidence: number;
  /** Below the model's "not a digit" threshold (contracts/out-of-distribution.ts). */
  readonly flagged: boolean;
}

const BATCH = 256;

/**
 * Runs `inputs` through the model in `modelPath` with the inference host's own onnxruntime adapter
 * (CPU, one thread) and applies the manifest's out-of-distribution rule, as the host does.
 */
export async function scoreModel(
  manifest: ModelManifest,
  modelPath: string,
  inputs: readonly (Float32Array | null)[],
): Promise<(ItemVerdict | null)[]> {
  const classifier = await loadOnnxClassifier(manifest, modelPath, {
    executionProviders: ['cpu'],
    intraOpThreads: 1,
  });
  const classes = manifest.labels.length;
  const rowLength = manifest.input.dims.reduce((a, b) => a * b, 1);
  const out: (ItemVerdict | null)[] = new Array(inputs.length).fill(null);
  try {
    const present = inputs.flatMap((input, i) => (input ? [i] : []));
    for (let start = 0; start < present.length; start += BATCH) {
      const chunk = present.slice(start, start + BATCH);
      const batch = new Float32Array(chunk.length * rowLength);
      chunk.forEach((i, j) => {
        batch.set(inputs[i] as Float32Array, j * rowLength);
      });
      const probabilities = await classifier.run(batch, chunk.length);
      chunk.forEach((i, j) => {
        const row = probabilities.subarray(j * classes, (j + 1) * classes);
        let label = 0;
        for (let c = 1; c < classes; c++) if ((row[c] as number) > (row[label] as number)) label = c;
        const confidence = row[label] as number;
        out[i] = { label, confidence, flagged: isOutOfDistribution(manifest, confidence) };
      });
    }
  } finally {
    await classifier.close();
  }
  return out;
}
