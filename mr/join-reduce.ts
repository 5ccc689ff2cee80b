import type { ManifestLabels } from './class-order.ts';
import {
  addMalformed,
  addScored,
  emptyGlobalCounts,
  emptyGroupCounts,
  GLOBAL_KEY,
  type GlobalCounts,
  type GroupCounts,
  groupKey,
  mergeGlobalCounts,
  parseGlobalCounts,
  serializeGlobalCounts,
  serializeGroupCounts,
} from './counts.ts';
import { decodeJoinValue, type LabelValue, type PredictionValue } from './join-values.ts';

/** One upload after the join: its verdict and its latest label, either possibly missing, and what was dropped. */
export interface JoinedUpload {
  readonly prediction: PredictionValue | null;
  readonly label: LabelValue | null;
  /** Repeats of the prediction (same uploadId) beyond the one kept. */
  readonly duplicatePredictions: number;
  /** Repeats of a labelId beyond the first. */
  readonly duplicateLabels: number;
  /** Distinct labels of this upload other than the latest. */
  readonly supersededLabels: number;
  /** Values this job could not have written (never from its own mapper). */
  readonly malformedValues: number;
}

/**
 * The join job's reducer, for one uploadId and all its values in any order: keeps the latest prediction
 * (by predictedAt; a tie goes to the larger encoded value, so the result never depends on order), counts
 * each labelId once, and keeps the latest label (by labeledAt; a tie goes to the larger labelId).
 */
export function reduceKey(_uploadId: string, values: readonly string[]): JoinedUpload {
  let prediction: PredictionValue | null = null;
  let predictionText = '';
  let predictions = 0;
  let labelRecords = 0;
  let malformedValues = 0;
  const labels = new Map<string, { label: LabelValue; text: string }>();
  for (const text of values) {
    const value = decodeJoinValue(text);
    if (value === null) {
      malformedValues += 1;
    } else if (value.kind === 'P') {
      predictions += 1;
      if (prediction === null || laterPrediction(value, text, prediction, predictionText)) {
        prediction = value;
        predictionText = text;
      }
    } else {
      labelRecords += 1;
      const seen = labels.get(value.labelId);
      // The same labelId twice is one label; should the copies differ, keep one regardless of order.
      if (seen === undefined || text > seen.text) labels.set(value.labelId, { label: value, text });
    }
  }
  let latest: LabelValue | null = null;
  for (const { label } of labels.values()) {
    if (latest === null || laterLabel(label, latest)) latest = label;
  }
  return {
    prediction,
    label: latest,
    duplicatePredictions: Math.max(predictions - 1, 0),
    duplicateLabels: labelRecords - labels.size,
    supersededLabels: Math.max(labels.size - 1, 0),
    malformedValues,
  };
}

function laterPrediction(a: PredictionValue, aText: string, b: PredictionValue, bText: string): boolean {
  const ta = Date.parse(a.predictedAt);
  const tb = Date.parse(b.predictedAt);
  return ta !== tb ? ta > tb : aText > bText;
}

function laterLabel(a: LabelValue, b: LabelValue): boolean {
  const ta = Date.parse(a.labeledAt);
  const tb = Date.parse(b.labeledAt);
  return ta !== tb ? ta > tb : a.labelId > b.labelId;
}

/** UTC day of an ISO timestamp in `Z` form (the only form the prediction schema accepts). */
function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * Sums joined uploads into partial counts per model, version and day, the way the join reducer does
 * for all the keys it sees, so that it emits a few lines rather than one per upload. Memory grows with
 * the number of groups (models × versions × days), not with the uploads.
 *
 * Given the models' class lists, a label that is not one of its model version's labels (or of a version
 * with no list) is counted as invalid instead of scored: labels come from anyone, and each distinct
 * string would otherwise become a class, a confusion row and a table row of the report.
 */
export class JoinAccumulator {
  private readonly groups = new Map<string, GroupCounts>();
  private readonly global: GlobalCounts = emptyGlobalCounts();
  private readonly classes: Map<string, ReadonlySet<string>> | undefined;

  constructor(classLists?: ManifestLabels) {
    if (classLists === undefined) return;
    this.classes = new Map();
    for (const [model, versions] of Object.entries(classLists)) {
      for (const [version, labels] of Object.entries(versions)) {
        this.classes.set(JSON.stringify([model, version]), new Set(labels));
      }
    }
  }

  /** Whether `label` may be scored against this model version. */
  private isClass(model: string, version: string, label: string): boolean {
    if (this.classes === undefined) return true;
    return this.classes.get(JSON.stringify([model, version]))?.has(label) ?? false;
  }

  add(joined: JoinedUpload): void {
    if (joined.malformedValues > 0) addMalformed(this.global, 'invalid_join_value', joined.malformedValues);
    const { prediction, label } = joined;
    if (prediction === null) {
      if (label !== null) this.global.labelsWithoutPrediction += 1;
      this.global.duplicateLabels += joined.duplicateLabels;
      this.global.supersededLabels += joined.supersededLabels;
      return;
    }
    const key = groupKey(prediction.model, prediction.modelVersion, dayOf(prediction.predictedAt));
    let group = this.groups.get(key);
    if (group === undefined) {
      group = emptyGroupCounts();
      this.groups.set(key, group);
    }
    group.duplicatePredictions += joined.duplicatePredictions;
    group.duplicateLabels += joined.duplicateLabels;
    group.supersededLabels += joined.supersededLabels;
    if (prediction.outOfDistribution === true) group.outOfDistribution += 1;
    if (label === null) {
      group.predictionsWithoutLabel += 1;
      return;
    }
    if (!this.isClass(prediction.model, prediction.modelVersion, label.label)) {
      group.invalidLabels += 1;
      return;
    }
    if (label.asked === true) {
      // Scored apart, so the headline figures stay an estimate over the labels people volunteered.
      group.askedN += 1;
      if (label.label === prediction.label) group.askedCorrect += 1;
      return;
    }
    addScored(group, {
      truth: label.label,
      verdict: prediction.label,
      confidence: prediction.confidence,
      deviceVerdict: label.deviceLabel,
    });
  }

  /** Adds the global counts a mapper emitted under `*`. */
  addGlobal(values: readonly string[]): void {
    for (const value of values) {
      try {
        mergeGlobalCounts(this.global, parseGlobalCounts(value));
      } catch {
        addMalformed(this.global, 'invalid_counts_value');
      }
    }
  }

  /** The partial counts as output lines, `key\tvalue`. */
  lines(): string[] {
    const out: string[] = [];
    for (const [key, counts] of this.groups) out.push(`${key}\t${serializeGroupCounts(counts)}`);
    out.push(`${GLOBAL_KEY}\t${serializeGlobalCounts(this.global)}`);
    return out;
  }
}
