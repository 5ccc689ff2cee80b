import type { ScoredLabel } from '../../../contracts/prediction.ts';

/** The `k` most probable labels, best first; ties keep label order; probabilities clamped to [0, 1]. */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): ScoredLabel[] {
  const indices = Array.from({ length: labels.length }, (_, i) => i);
  indices.sort((a, b) => (probabilities[b] ?? 0) - (probabilities[a] ?? 0) || a - b);
  return indices.slice(0, Math.max(1, Math.min(k, labels.length))).map((i) => ({
    label: labels[i] as string,
    confidence: Math.min(1, Math.max(0, probabilities[i] ?? 0)),
  }));
}
