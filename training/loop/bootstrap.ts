import { seededRandom } from '../../test/support/seeded-random.ts';

/** candidate − current with a two-sided confidence interval, as contracts/model-decision.ts records it. */
export interface PairedDifference {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  readonly resamples: number;
}

export interface BootstrapOptions {
  readonly resamples: number;
  readonly confidence: number;
  readonly seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = Object.freeze({
  resamples: 2000,
  confidence: 0.95,
  seed: 20261202,
});

/**
 * Paired bootstrap of mean(candidate) − mean(current) over the evaluation items: each resample draws
 * items with replacement and takes both models' scores of the same items, so the interval reflects
 * how much the two disagree, not how hard the set is. Percentile interval; seeded, so a decision can
 * be reproduced. `current[i]` and `candidate[i]` are the scores of item i (1/0 for right/wrong).
 */
export function pairedBootstrap(
  current: ArrayLike<number>,
  candidate: ArrayLike<number>,
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): PairedDifference {
  const n = current.length;
  if (candidate.length !== n) {
    throw new Error(`pairedBootstrap: ${n} current scores but ${candidate.length} candidate scores`);
  }
  const { resamples, confidence, seed } = options;
  if (n === 0) return { estimate: 0, low: 0, high: 0, confidence, resamples };
  const diff = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    diff[i] = (candidate[i] as number) - (current[i] as number);
    total += diff[i] as number;
  }
  const random = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diff[Math.floor(random() * n)] as number;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return {
    estimate: total / n,
    low: quantile(means, tail),
    high: quantile(means, 1 - tail),
    confidence,
    resamples,
  };
}

/** Linear interpolation between order statistics of sorted `values` (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const a = sorted[lower] as number;
  return a + ((sorted[upper] as number) - a) * (position - lower);
}
