import { z } from 'zod';
import { modelNameSchema } from './uploads.ts';

const versionSchema = z.string().regex(/^[1-9][0-9]*$/, 'version must be a positive integer');

/** One comparison of the promotion gate, candidate against the current default, on one evaluation set. */
export const gateCheckSchema = z.object({
  /** e.g. `user-labels`, `mnist-held-out`, `photos`, `ood-non-digits-flagged`, `ood-digits-flagged`. */
  name: z.string().min(1),
  /** What the figure is, e.g. "top-1 accuracy" or "share flagged". */
  metric: z.string().min(1),
  /** `higher` when a larger figure is better (accuracy), `lower` when smaller is (false flags). */
  better: z.enum(['higher', 'lower']),
  /** `better`: must improve (the whole confidence interval on the right side of 0); `not-worse`: within `margin`. */
  rule: z.enum(['better', 'not-worse']),
  /** Allowed loss for `not-worse`, in the metric's units (0.005 = half a point of accuracy). */
  margin: z.number().nonnegative(),
  items: z.number().int().nonnegative(),
  current: z.number(),
  candidate: z.number(),
  /** candidate − current, with a paired bootstrap confidence interval over the evaluation items. */
  difference: z.object({
    estimate: z.number(),
    low: z.number(),
    high: z.number(),
    confidence: z.number().min(0).max(1),
    resamples: z.number().int().positive(),
  }),
  passed: z.boolean(),
  /** One sentence: why it passed or failed. */
  reason: z.string(),
});
export type GateCheck = z.infer<typeof gateCheckSchema>;

/**
 * One decision of the learning loop: a candidate promoted or refused by the gate, or a rollback.
 * Stored in the bucket as `model-decisions/<model>/<decidedAt>-<decisionId>.json` (written once,
 * never changed) and shown on the Accuracy page as the model's history.
 */
export const modelDecisionSchema = z.object({
  decisionId: z.uuid(),
  model: modelNameSchema,
  kind: z.enum(['promotion', 'rollback']),
  outcome: z.enum(['promoted', 'refused', 'rolled-back']),
  /** The default version before this decision. */
  fromVersion: versionSchema,
  /** The version the decision was about: the candidate, or the version rolled back to. */
  toVersion: versionSchema,
  decidedAt: z.iso.datetime({ offset: true }),
  /** Who or what asked, e.g. `npm run retrain` or `npm run rollback`, and the operator's note. */
  by: z.string().min(1),
  summary: z.string().min(1),
  checks: z.array(gateCheckSchema),
  /** What the candidate was trained on (promotions): sizes of each part and the user-label split. */
  training: z
    .object({
      userTrainItems: z.number().int().nonnegative(),
      userEvalItems: z.number().int().nonnegative(),
      baseTrainItems: z.number().int().nonnegative(),
      epochs: z.number().int().positive(),
      seed: z.number().int(),
      splitKey: z.string().min(1),
    })
    .optional(),
});
export type ModelDecision = z.infer<typeof modelDecisionSchema>;
