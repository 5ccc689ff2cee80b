import { z } from 'zod';
import { modelDecisionSchema } from './model-decision.ts';
import { modelNameSchema } from './uploads.ts';

/** One model version's accuracy on one UTC day, from the accuracy job's latest report (volunteered labels). */
export const versionDaySchema = z.object({
  version: z.string().min(1),
  day: z.iso.date(),
  /** Labelled predictions of that version made that day (volunteered labels: the unbiased headline). */
  n: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  accuracy: z.number().min(0).max(1).nullable(),
});
export type VersionDay = z.infer<typeof versionDaySchema>;

/**
 * `GET /api/models/<model>/history` (gateway/model-history-routes.ts): the model's versions over time
 * for the Accuracy page. `decisions` are the learning loop's records (promotions, refusals, rollbacks),
 * newest first, at most `limit` of them; records that did not validate are left out and counted in
 * `skipped`. `accuracy` comes from the latest accuracy report (absent until the job has run), oldest day
 * first; `defaultVersion` is what the inference host serves by default now (null when it cannot say).
 */
export const modelHistorySchema = z.object({
  model: modelNameSchema,
  defaultVersion: z.string().nullable(),
  decisions: z.array(modelDecisionSchema),
  skipped: z.number().int().nonnegative(),
  /** True when older decisions exist beyond the ones listed. */
  truncated: z.boolean(),
  accuracy: z.array(versionDaySchema),
  /** The accuracy report the figures come from, null when there is none yet. */
  report: z.object({ runId: z.string(), generatedAt: z.iso.datetime() }).nullable(),
});
export type ModelHistory = z.infer<typeof modelHistorySchema>;
