import { z } from 'zod';

/**
 * `reports/<runId>/metrics.json`, written by the accuracy job (mr/) and shown by the app: how well each
 * model version's verdicts matched the labels people gave, overall and per day.
 *
 * Conventions: a ratio whose denominator is zero is `null` where nothing can be said (accuracy of no
 * labelled predictions) and `0` where scikit-learn's `zero_division=0` applies (precision of a class never
 * predicted). Days are UTC days of the prediction (`predictedAt`).
 */

const count = z.number().int().nonnegative();
const ratio = z.number().min(0).max(1);

export const classMetricsSchema = z.object({
  label: z.string(),
  precision: ratio,
  recall: ratio,
  f1: ratio,
  /** Labelled predictions whose true label is this class. */
  support: count,
});
export type ClassMetrics = z.infer<typeof classMetricsSchema>;

export const averagedMetricsSchema = z.object({ precision: ratio, recall: ratio, f1: ratio });
export type AveragedMetrics = z.infer<typeof averagedMetricsSchema>;

/**
 * One bin of the reliability diagram: predictions whose top-1 confidence lies in `[lower, upper)`.
 * There are 16 bins: the 15 of width 1/15 and, as in torchmetrics (`bucketize(..., right=True)`), one more
 * for a confidence of exactly 1 (`lower` = `upper` = 1).
 */
export const calibrationBinSchema = z.object({
  lower: ratio,
  upper: ratio,
  count,
  correct: count,
  /** correct / count; null for an empty bin. */
  accuracy: ratio.nullable(),
  /** Mean top-1 confidence in the bin; null for an empty bin. */
  confidence: ratio.nullable(),
});
export type CalibrationBin = z.infer<typeof calibrationBinSchema>;

/** The on-device verdicts that labels carried, compared with the server's and with the truth. */
export const deviceMetricsSchema = z.object({
  /** Labelled predictions whose label carried the on-device verdict. */
  n: count,
  /** Share of those where the device and the server gave the same label. */
  agreement: ratio.nullable(),
  /** On-device accuracy on those. */
  accuracy: ratio.nullable(),
  /** Server accuracy on the same ones, for comparison. */
  serverAccuracy: ratio.nullable(),
});
export type DeviceMetrics = z.infer<typeof deviceMetricsSchema>;

/** What of a model version's input could not be scored, and what was dropped as a repeat. */
export const groupCoverageSchema = z.object({
  predictionsWithoutLabel: count,
  duplicatePredictions: count,
  duplicateLabels: count,
  /** Labels replaced by a later label of the same upload. */
  supersededLabels: count,
  /** Labels that are not one of the model version's labels: counted here, never made a class. */
  invalidLabels: count.default(0),
});
export type GroupCoverage = z.infer<typeof groupCoverageSchema>;

/**
 * How the labels were obtained. The app asks for labels where the model is least sure (uncertainty
 * sampling), so asked labels over-represent hard cases: every other figure of a report counts only the
 * volunteered ones (an unbiased estimate), and the asked ones are scored here apart.
 */
export const labelSourcesSchema = z.object({
  /** Labelled predictions whose label was volunteered (or has no source: written before the app asked). */
  volunteered: count,
  /** Labelled predictions whose label the app asked for. */
  asked: count,
  /** Of the asked ones, those the server's verdict got right. */
  askedCorrect: count,
  /** askedCorrect / asked; null when none was asked. */
  askedAccuracy: ratio.nullable(),
});
export type LabelSources = z.infer<typeof labelSourcesSchema>;

export const classificationMetricsSchema = z.object({
  /** Labelled predictions (one per upload) whose label was volunteered: asked ones are in `labelSources`. */
  n: count,
  correct: count,
  accuracy: ratio.nullable(),
  /** In the order of `confusion.labels`. */
  classes: z.array(classMetricsSchema),
  /** Unweighted mean over the classes that occur as truth or verdict. */
  macro: averagedMetricsSchema,
  /** Mean weighted by support. */
  weighted: averagedMetricsSchema,
  confusion: z.object({
    labels: z.array(z.string()),
    /** matrix[i][j]: true label `labels[i]`, predicted `labels[j]`. */
    matrix: z.array(z.array(count)),
  }),
  /** Cohen's kappa; null when undefined (no data, or chance agreement is 1). */
  kappa: z.number().nullable(),
  /** Expected calibration error (L1, torchmetrics' definition); null without data. */
  ece: z.number().min(0).nullable(),
  calibration: z.object({ bins: z.array(calibrationBinSchema) }),
  device: deviceMetricsSchema,
  /**
   * Predictions (labelled or not) the model flagged as out of distribution ("not a digit"), reported
   * apart from accuracy: their label still counts as the model's best guess. Absent in older reports.
   */
  outOfDistribution: z.object({ count, share: ratio.nullable() }).optional(),
  /** Absent in reports from before labels recorded how they were obtained (all were volunteered). */
  labelSources: labelSourcesSchema.optional(),
  coverage: groupCoverageSchema,
});
export type ClassificationMetrics = z.infer<typeof classificationMetricsSchema>;

export const dayMetricsSchema = classificationMetricsSchema.extend({ day: z.iso.date() });
export type DayMetrics = z.infer<typeof dayMetricsSchema>;

export const modelMetricsSchema = classificationMetricsSchema.extend({
  model: z.string().min(1),
  version: z.string().min(1),
  /** Ascending by day. */
  days: z.array(dayMetricsSchema),
});
export type ModelMetrics = z.infer<typeof modelMetricsSchema>;

/** The whole run's bookkeeping: every input line is either scored, uncovered, a repeat, or malformed. */
export const runCoverageSchema = z.object({
  predictionRecords: count,
  labelRecords: count,
  predictionsWithoutLabel: count,
  /** Uploads that were labelled but have no prediction. */
  labelsWithoutPrediction: count,
  duplicatePredictions: count,
  duplicateLabels: count,
  supersededLabels: count,
  /** Labels that are not one of their model version's labels (see the groups). */
  invalidLabels: count.default(0),
  malformedLines: count,
  /** Malformed lines by reason, e.g. `invalid_json`, `invalid_prediction.confidence`. */
  malformedByReason: z.record(z.string(), count),
});
export type RunCoverage = z.infer<typeof runCoverageSchema>;

export const accuracyMetricsSchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string().regex(/^[A-Za-z0-9._-]+$/),
  generatedAt: z.iso.datetime(),
  coverage: runCoverageSchema,
  /** One entry per model and version, sorted by model then version (numeric-aware). */
  models: z.array(modelMetricsSchema),
});
export type AccuracyMetrics = z.infer<typeof accuracyMetricsSchema>;
