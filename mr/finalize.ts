import type { AccuracyMetrics, ModelMetrics } from '../contracts/metrics.ts';
import { compareLabels, type ManifestLabels, orderClasses } from './class-order.ts';
import {
  ALL_DAYS,
  addMalformed,
  emptyGlobalCounts,
  emptyGroupCounts,
  GLOBAL_KEY,
  type GroupCounts,
  mergeGlobalCounts,
  mergeGroupCounts,
  parseGlobalCounts,
  parseGroupCounts,
  parseGroupKey,
  totalMalformed,
} from './counts.ts';
import { computeMetrics, seenLabels } from './metrics.ts';
import { splitKeyValue } from './totals.ts';

/** A model version's summed counts, all days together and per day. */
interface VersionTotals {
  all: GroupCounts;
  days: Map<string, GroupCounts>;
}

/**
 * The run's metrics from the totals job's output lines (any order; a key seen twice is summed). The
 * per-day metrics of a model version use its overall class list, so that days compare.
 */
export function finalizeMetrics(
  lines: Iterable<string>,
  options: { runId: string; generatedAt: Date; manifests: ManifestLabels },
): AccuracyMetrics {
  const global = emptyGlobalCounts();
  const versions = new Map<string, VersionTotals & { model: string; version: string }>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const { key, value } = splitKeyValue(line);
    try {
      if (key === GLOBAL_KEY) {
        mergeGlobalCounts(global, parseGlobalCounts(value));
        continue;
      }
      const group = parseGroupKey(key);
      if (group === null) {
        addMalformed(global, 'invalid_counts_key');
        continue;
      }
      const counts = parseGroupCounts(value);
      const id = JSON.stringify([group.model, group.version]);
      let totals = versions.get(id);
      if (totals === undefined) {
        totals = { model: group.model, version: group.version, all: emptyGroupCounts(), days: new Map() };
        versions.set(id, totals);
      }
      if (group.day === ALL_DAYS) {
        mergeGroupCounts(totals.all, counts);
      } else {
        let day = totals.days.get(group.day);
        if (day === undefined) {
          day = emptyGroupCounts();
          totals.days.set(group.day, day);
        }
        mergeGroupCounts(day, counts);
      }
    } catch {
      addMalformed(global, 'invalid_counts_value');
    }
  }

  const models: ModelMetrics[] = [...versions.values()]
    .sort((a, b) => compareLabels(a.model, b.model) || compareLabels(a.version, b.version))
    .map(({ model, version, all, days }) => {
      const seen = seenLabels(all);
      for (const day of days.values()) for (const label of seenLabels(day)) seen.add(label);
      const labels = orderClasses(seen, options.manifests[model]?.[version]);
      return {
        model,
        version,
        ...computeMetrics(all, labels),
        days: [...days.entries()]
          .filter(([day]) => /^\d{4}-\d{2}-\d{2}$/.test(day))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([day, counts]) => ({ day, ...computeMetrics(counts, labels) })),
      };
    });

  const sum = (pick: (m: ModelMetrics) => number) => models.reduce((total, m) => total + pick(m), 0);
  return {
    schemaVersion: 1,
    runId: options.runId,
    generatedAt: options.generatedAt.toISOString(),
    coverage: {
      predictionRecords: global.predictionRecords,
      labelRecords: global.labelRecords,
      predictionsWithoutLabel: sum((m) => m.coverage.predictionsWithoutLabel),
      labelsWithoutPrediction: global.labelsWithoutPrediction,
      duplicatePredictions: sum((m) => m.coverage.duplicatePredictions),
      duplicateLabels: global.duplicateLabels + sum((m) => m.coverage.duplicateLabels),
      supersededLabels: global.supersededLabels + sum((m) => m.coverage.supersededLabels),
      invalidLabels: sum((m) => m.coverage.invalidLabels),
      malformedLines: totalMalformed(global),
      malformedByReason: Object.fromEntries(
        [...global.malformed.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
    },
    models,
  };
}
