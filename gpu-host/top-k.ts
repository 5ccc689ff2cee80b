import type { ScoredLabel } from '../contracts/prediction.ts';

/** The `k` most probable labels of one row of probabilities, best first; ties keep label order. */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): ScoredLabel[] {
  const indices = Array.from({ length: labels.length }, (_, i) => i);
  indices.sort((a, b) => (probabilities[b] ?? 0) - (probabilities[a] ?? 0) || a - b);
  return indices.slice(0, Math.max(1, Math.min(k, labels.length))).map((i) => ({
    label: labels[i] as string,
    confidence: clampProbability(probabilities[i] ?? 0),
  }));
}

// Softmax in float32 can land a hair outside [0, 1]; the wire schema does not allow that.
function clampProbability(p: number): number {
  return Math.min(1, Math.max(0, p));
}
