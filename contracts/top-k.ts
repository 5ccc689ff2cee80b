import type { ScoredLabel } from './prediction.ts';

/** Indices of the `k` largest values, largest first; ties keep index order. `k` is clamped to 1..length. */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const indices = Array.from({ length: values.length }, (_, i) => i);
  indices.sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0) || a - b);
  return indices.slice(0, Math.max(1, Math.min(k, values.length)));
}

/** The `k` most probable labels of one row of probabilities, best first; ties keep label order. */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): ScoredLabel[] {
  return topIndices(
    Array.from({ length: labels.length }, (_, i) => probabilities[i] ?? 0),
    k,
  ).map((i) => ({
    label: labels[i] as string,
    confidence: clampProbability(probabilities[i] ?? 0),
  }));
}

/** Softmax in float32 can land a hair outside [0, 1]; the wire schemas do not allow that. */
export function clampProbability(p: number): number {
  return Math.min(1, Math.max(0, p));
}
