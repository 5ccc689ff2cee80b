/**
 * Partial counts: what the join reducer emits per model, version and day, what the totals job sums,
 * and what the final metrics are computed from. Every field is a sum, so partials merge in any order
 * and grouping (the combiner relies on that). Counts are exact integers; `confidence` sums are floats.
 */

/** Equal-width bins of top-1 confidence: torchmetrics' default for its calibration error. */
export const CALIBRATION_BIN_COUNT = 15;
/** The bins and one more for a confidence of exactly 1, as torchmetrics buckets them. */
export const CONFIDENCE_SLOTS = CALIBRATION_BIN_COUNT + 1;

export interface GroupCounts {
  /** Labelled predictions. */
  n: number;
  correct: number;
  /** truth → verdict → count. */
  confusion: Map<string, Map<string, number>>;
  binCount: number[];
  binCorrect: number[];
  binConfidence: number[];
  /** Labelled predictions whose label carried the on-device verdict, and how those went. */
  deviceN: number;
  deviceAgree: number;
  deviceCorrect: number;
  deviceServerCorrect: number;
  predictionsWithoutLabel: number;
  duplicatePredictions: number;
  duplicateLabels: number;
  supersededLabels: number;
  /** Labelled predictions whose label is not one of the model version's labels: not scored. */
  invalidLabels: number;
  /** Predictions (labelled or not) the model flagged as out of distribution ("not a digit"). */
  outOfDistribution: number;
  /**
   * Labelled predictions whose label the app asked for, and how many of those the server got right.
   * Kept out of every other field: asked labels over-represent hard cases (see mr/README.md).
   */
  askedN: number;
  askedCorrect: number;
}

/** What belongs to no model: input bookkeeping and labels whose upload has no prediction. */
export interface GlobalCounts {
  predictionRecords: number;
  labelRecords: number;
  malformed: Map<string, number>;
  labelsWithoutPrediction: number;
  duplicateLabels: number;
  supersededLabels: number;
}

/** The key of the global counts, in every job's output. Never a model group key (those are JSON arrays). */
export const GLOBAL_KEY = '*';
/** The day of a group key that sums all days. */
export const ALL_DAYS = '*';

/** A model group's key: `["digits","1","2026-03-01"]`. JSON, so it never holds a tab or a newline. */
export function groupKey(model: string, version: string, day: string): string {
  return JSON.stringify([model, version, day]);
}

/** The parts of a group key, or null for anything else. */
export function parseGroupKey(key: string): { model: string; version: string; day: string } | null {
  if (!key.startsWith('[')) return null;
  try {
    const parts: unknown = JSON.parse(key);
    if (!Array.isArray(parts) || parts.length !== 3 || !parts.every((p) => typeof p === 'string'))
      return null;
    const [model, version, day] = parts as [string, string, string];
    return { model, version, day };
  } catch {
    return null;
  }
}

export function emptyGroupCounts(): GroupCounts {
  return {
    n: 0,
    correct: 0,
    confusion: new Map(),
    binCount: new Array<number>(CONFIDENCE_SLOTS).fill(0),
    binCorrect: new Array<number>(CONFIDENCE_SLOTS).fill(0),
    binConfidence: new Array<number>(CONFIDENCE_SLOTS).fill(0),
    deviceN: 0,
    deviceAgree: 0,
    deviceCorrect: 0,
    deviceServerCorrect: 0,
    predictionsWithoutLabel: 0,
    duplicatePredictions: 0,
    duplicateLabels: 0,
    supersededLabels: 0,
    invalidLabels: 0,
    outOfDistribution: 0,
    askedN: 0,
    askedCorrect: 0,
  };
}

export function emptyGlobalCounts(): GlobalCounts {
  return {
    predictionRecords: 0,
    labelRecords: 0,
    malformed: new Map(),
    labelsWithoutPrediction: 0,
    duplicateLabels: 0,
    supersededLabels: 0,
  };
}

/**
 * The bin of a top-1 confidence in [0, 1]: bin k holds [k/15, (k+1)/15), and 1 itself goes to bin 15,
 * exactly as torchmetrics' `bucketize(confidence, linspace(0, 1, 16), right=True) - 1`.
 */
export function confidenceSlot(confidence: number): number {
  let slot = Math.min(Math.max(Math.floor(confidence * CALIBRATION_BIN_COUNT), 0), CALIBRATION_BIN_COUNT);
  // confidence * 15 can round across a boundary; the boundaries themselves are k / 15.
  if (slot > 0 && confidence < slot / CALIBRATION_BIN_COUNT) slot -= 1;
  else if (slot < CALIBRATION_BIN_COUNT && confidence >= (slot + 1) / CALIBRATION_BIN_COUNT) slot += 1;
  return slot;
}

/** One scored upload: the server's verdict, the truth, and the on-device verdict if the label had one. */
export interface ScoredUpload {
  readonly truth: string;
  readonly verdict: string;
  readonly confidence: number;
  readonly deviceVerdict?: string | undefined;
}

export function addScored(counts: GroupCounts, scored: ScoredUpload): void {
  const correct = scored.truth === scored.verdict;
  counts.n += 1;
  if (correct) counts.correct += 1;
  addCell(counts.confusion, scored.truth, scored.verdict, 1);
  const slot = confidenceSlot(scored.confidence);
  counts.binCount[slot] = (counts.binCount[slot] ?? 0) + 1;
  if (correct) counts.binCorrect[slot] = (counts.binCorrect[slot] ?? 0) + 1;
  counts.binConfidence[slot] = (counts.binConfidence[slot] ?? 0) + scored.confidence;
  if (scored.deviceVerdict !== undefined) {
    counts.deviceN += 1;
    if (scored.deviceVerdict === scored.verdict) counts.deviceAgree += 1;
    if (scored.deviceVerdict === scored.truth) counts.deviceCorrect += 1;
    if (correct) counts.deviceServerCorrect += 1;
  }
}

function addCell(
  confusion: Map<string, Map<string, number>>,
  truth: string,
  verdict: string,
  amount: number,
): void {
  let row = confusion.get(truth);
  if (row === undefined) {
    row = new Map();
    confusion.set(truth, row);
  }
  row.set(verdict, (row.get(verdict) ?? 0) + amount);
}

/** Adds `from` into `into`. */
export function mergeGroupCounts(into: GroupCounts, from: GroupCounts): void {
  into.n += from.n;
  into.correct += from.correct;
  for (const [truth, row] of from.confusion) {
    for (const [verdict, amount] of row) addCell(into.confusion, truth, verdict, amount);
  }
  for (let slot = 0; slot < CONFIDENCE_SLOTS; slot++) {
    into.binCount[slot] = (into.binCount[slot] ?? 0) + (from.binCount[slot] ?? 0);
    into.binCorrect[slot] = (into.binCorrect[slot] ?? 0) + (from.binCorrect[slot] ?? 0);
    into.binConfidence[slot] = (into.binConfidence[slot] ?? 0) + (from.binConfidence[slot] ?? 0);
  }
  into.deviceN += from.deviceN;
  into.deviceAgree += from.deviceAgree;
  into.deviceCorrect += from.deviceCorrect;
  into.deviceServerCorrect += from.deviceServerCorrect;
  into.predictionsWithoutLabel += from.predictionsWithoutLabel;
  into.duplicatePredictions += from.duplicatePredictions;
  into.duplicateLabels += from.duplicateLabels;
  into.supersededLabels += from.supersededLabels;
  into.invalidLabels += from.invalidLabels;
  into.outOfDistribution += from.outOfDistribution;
  into.askedN += from.askedN;
  into.askedCorrect += from.askedCorrect;
}

/** Adds `from` into `into`. */
export function mergeGlobalCounts(into: GlobalCounts, from: GlobalCounts): void {
  into.predictionRecords += from.predictionRecords;
  into.labelRecords += from.labelRecords;
  for (const [reason, amount] of from.malformed) addMalformed(into, reason, amount);
  into.labelsWithoutPrediction += from.labelsWithoutPrediction;
  into.duplicateLabels += from.duplicateLabels;
  into.supersededLabels += from.supersededLabels;
}

export function addMalformed(counts: GlobalCounts, reason: string, amount = 1): void {
  counts.malformed.set(reason, (counts.malformed.get(reason) ?? 0) + amount);
}

export function totalMalformed(counts: GlobalCounts): number {
  let total = 0;
  for (const amount of counts.malformed.values()) total += amount;
  return total;
}

/** One line's value: compact JSON (no tab, no newline). Floats are written so that they read back exactly. */
export function serializeGroupCounts(counts: GroupCounts): string {
  const cells: Array<[string, string, number]> = [];
  for (const [truth, row] of counts.confusion) {
    for (const [verdict, amount] of row) cells.push([truth, verdict, amount]);
  }
  return JSON.stringify({
    n: counts.n,
    correct: counts.correct,
    cells,
    bins: counts.binCount.map((c, slot) => [c, counts.binCorrect[slot], counts.binConfidence[slot]]),
    device: [counts.deviceN, counts.deviceAgree, counts.deviceCorrect, counts.deviceServerCorrect],
    unlabelled: counts.predictionsWithoutLabel,
    dupPredictions: counts.duplicatePredictions,
    dupLabels: counts.duplicateLabels,
    superseded: counts.supersededLabels,
    invalid: counts.invalidLabels,
    ood: counts.outOfDistribution,
    asked: [counts.askedN, counts.askedCorrect],
  });
}

export function serializeGlobalCounts(counts: GlobalCounts): string {
  return JSON.stringify({
    predictions: counts.predictionRecords,
    labels: counts.labelRecords,
    malformed: Object.fromEntries(counts.malformed),
    unpredicted: counts.labelsWithoutPrediction,
    dupLabels: counts.duplicateLabels,
    superseded: counts.supersededLabels,
  });
}

/** Thrown for a partial-counts value that is not what this job writes. */
export class CountsFormatError extends Error {
  override readonly name = 'CountsFormatError';
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`partial counts: ${field} is missing or wrong in ${value.slice(0, 200)}`);
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFloat = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseGroupCounts(value: string): GroupCounts {
  const raw = parseObject(value);
  const counts = emptyGroupCounts();
  counts.n = countField(raw, 'n', value);
  counts.correct = countField(raw, 'correct', value);
  const cells = raw.cells;
  if (!Array.isArray(cells)) throw new CountsFormatError('cells', value);
  for (const cell of cells) {
    if (
      !Array.isArray(cell) ||
      typeof cell[0] !== 'string' ||
      typeof cell[1] !== 'string' ||
      !isCount(cell[2])
    )
      throw new CountsFormatError('cells', value);
    addCell(counts.confusion, cell[0], cell[1], cell[2]);
  }
  const bins = raw.bins;
  if (!Array.isArray(bins) || bins.length !== CONFIDENCE_SLOTS) throw new CountsFormatError('bins', value);
  bins.forEach((bin: unknown, slot) => {
    if (!Array.isArray(bin) || !isCount(bin[0]) || !isCount(bin[1]) || !isFloat(bin[2]))
      throw new CountsFormatError('bins', value);
    counts.binCount[slot] = bin[0];
    counts.binCorrect[slot] = bin[1];
    counts.binConfidence[slot] = bin[2];
  });
  const device = raw.device;
  if (!Array.isArray(device) || device.length !== 4 || !device.every(isCount))
    throw new CountsFormatError('device', value);
  [counts.deviceN, counts.deviceAgree, counts.deviceCorrect, counts.deviceServerCorrect] =
    device as number[] as [number, number, number, number];
  counts.predictionsWithoutLabel = countField(raw, 'unlabelled', value);
  counts.duplicatePredictions = countField(raw, 'dupPredictions', value);
  counts.duplicateLabels = countField(raw, 'dupLabels', value);
  counts.supersededLabels = countField(raw, 'superseded', value);
  counts.invalidLabels = countField(raw, 'invalid', value);
  // Absent in partials written before models flagged out-of-distribution images.
  counts.outOfDistribution = raw.ood === undefined ? 0 : countField(raw, 'ood', value);
  // Absent in partials written before labels recorded whether the app asked for them.
  const asked: unknown = raw.asked ?? [0, 0];
  if (!Array.isArray(asked) || asked.length !== 2 || !asked.every(isCount))
    throw new CountsFormatError('asked', value);
  const [askedN, askedCorrect] = asked as [number, number];
  if (askedCorrect > askedN) throw new CountsFormatError('asked', value);
  counts.askedN = askedN;
  counts.askedCorrect = askedCorrect;
  return counts;
}

export function parseGlobalCounts(value: string): GlobalCounts {
  const raw = parseObject(value);
  const counts = emptyGlobalCounts();
  counts.predictionRecords = countField(raw, 'predictions', value);
  counts.labelRecords = countField(raw, 'labels', value);
  const malformed = raw.malformed;
  if (typeof malformed !== 'object' || malformed === null || Array.isArray(malformed))
    throw new CountsFormatError('malformed', value);
  for (const [reason, amount] of Object.entries(malformed)) {
    if (!isCount(amount)) throw new CountsFormatError('malformed', value);
    addMalformed(counts, reason, amount);
  }
  counts.labelsWithoutPrediction = countField(raw, 'unpredicted', value);
  counts.duplicateLabels = countField(raw, 'dupLabels', value);
  counts.supersededLabels = countField(raw, 'superseded', value);
  return counts;
}

function parseObject(value: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new CountsFormatError('(json)', value);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CountsFormatError('(object)', value);
  return raw as Record<string, unknown>;
}

function countField(raw: Record<string, unknown>, field: string, value: string): number {
  const v = raw[field];
  if (!isCount(v)) throw new CountsFormatError(field, value);
  return v;
}
