import type {
  AveragedMetrics,
  CalibrationBin,
  ClassificationMetrics,
  ClassMetrics,
} from '../contracts/metrics.ts';
import { CALIBRATION_BIN_COUNT, CONFIDENCE_SLOTS, type GroupCounts } from './counts.ts';

/** Every label that occurs in a group's confusion cells, as truth or as verdict. */
export function seenLabels(counts: GroupCounts): Set<string> {
  const seen = new Set<string>();
  for (const [truth, row] of counts.confusion) {
    seen.add(truth);
    for (const verdict of row.keys()) seen.add(verdict);
  }
  return seen;
}

/**
 * The metrics of one model version (or one of its days) from its summed counts. `labels` is the class
 * order and must hold every label the counts have seen. Ratios with a zero denominator follow
 * scikit-learn's `zero_division=0`; the macro mean is over the classes that occur as truth or verdict.
 */
export function computeMetrics(counts: GroupCounts, labels: readonly string[]): ClassificationMetrics {
  const index = new Map(labels.map((label, i) => [label, i]));
  const k = labels.length;
  const matrix = labels.map(() => new Array<number>(k).fill(0));
  for (const [truth, row] of counts.confusion) {
    const i = index.get(truth);
    for (const [verdict, amount] of row) {
      const j = index.get(verdict);
      if (i === undefined || j === undefined) {
        throw new Error(
          `computeMetrics: label ${JSON.stringify(i === undefined ? truth : verdict)} is not in labels`,
        );
      }
      (matrix[i] as number[])[j] = amount;
    }
  }
  const n = counts.n;
  const support = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = labels.map((_, j) => matrix.reduce((sum, row) => sum + (row[j] as number), 0));
  const classes: ClassMetrics[] = labels.map((label, i) => {
    const tp = (matrix[i] as number[])[i] as number;
    const s = support[i] as number;
    const p = predicted[i] as number;
    return {
      label,
      precision: p === 0 ? 0 : tp / p,
      recall: s === 0 ? 0 : tp / s,
      // 2PR/(P+R) written over integers: 2tp / (support + predicted).
      f1: s + p === 0 ? 0 : (2 * tp) / (s + p),
      support: s,
    };
  });
  const present = classes.filter((_, i) => (support[i] as number) > 0 || (predicted[i] as number) > 0);
  const macro = mean(present, () => 1);
  const weighted = n === 0 ? zeroAverages() : mean(classes, (c) => c.support);

  let chance = 0;
  for (let i = 0; i < k; i++) chance += (support[i] as number) * (predicted[i] as number);
  const nn = n * n;
  // kappa = (po - pe) / (1 - pe), multiplied through by n² so that only the last step rounds.
  const kappa = n === 0 || nn === chance ? null : (n * counts.correct - chance) / (nn - chance);

  const predictions = n + counts.askedN + counts.predictionsWithoutLabel;
  const bins: CalibrationBin[] = [];
  let gap = 0;
  for (let slot = 0; slot < CONFIDENCE_SLOTS; slot++) {
    const count = counts.binCount[slot] ?? 0;
    const correct = counts.binCorrect[slot] ?? 0;
    const confidence = counts.binConfidence[slot] ?? 0;
    // |acc_b - conf_b| * n_b / n == |correct_b - Σconf_b| / n
    gap += Math.abs(correct - confidence);
    bins.push({
      lower: Math.min(slot / CALIBRATION_BIN_COUNT, 1),
      upper: Math.min((slot + 1) / CALIBRATION_BIN_COUNT, 1),
      count,
      correct,
      accuracy: count === 0 ? null : correct / count,
      confidence: count === 0 ? null : Math.min(confidence / count, 1),
    });
  }

  return {
    n,
    correct: counts.correct,
    accuracy: n === 0 ? null : counts.correct / n,
    classes,
    macro,
    weighted,
    confusion: { labels: [...labels], matrix },
    kappa,
    ece: n === 0 ? null : gap / n,
    calibration: { bins },
    device: {
      n: counts.deviceN,
      agreement: counts.deviceN === 0 ? null : counts.deviceAgree / counts.deviceN,
      accuracy: counts.deviceN === 0 ? null : counts.deviceCorrect / counts.deviceN,
      serverAccuracy: counts.deviceN === 0 ? null : counts.deviceServerCorrect / counts.deviceN,
    },
    labelSources: {
      volunteered: n,
      asked: counts.askedN,
      askedCorrect: counts.askedCorrect,
      askedAccuracy: counts.askedN === 0 ? null : counts.askedCorrect / counts.askedN,
    },
    outOfDistribution: {
      count: counts.outOfDistribution,
      share: predictions === 0 ? null : counts.outOfDistribution / predictions,
    },
    coverage: {
      predictionsWithoutLabel: counts.predictionsWithoutLabel,
      duplicatePredictions: counts.duplicatePredictions,
      duplicateLabels: counts.duplicateLabels,
      supersededLabels: counts.supersededLabels,
      invalidLabels: counts.invalidLabels,
    },
  };
}

function mean(classes: readonly ClassMetrics[], weight: (c: ClassMetrics) => number): AveragedMetrics {
  let total = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (const c of classes) {
    const w = weight(c);
    total += w;
    precision += w * c.precision;
    recall += w * c.recall;
    f1 += w * c.f1;
  }
  if (total === 0) return zeroAverages();
  return { precision: precision / total, recall: recall / total, f1: f1 / total };
}

function zeroAverages(): AveragedMetrics {
  return { precision: 0, recall: 0, f1: 0 };
}
