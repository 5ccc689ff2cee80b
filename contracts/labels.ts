import { z } from 'zod';
import { modelNameSchema } from './uploads.ts';

/** Most labels in one `POST /api/labels`. */
export const MAX_LABELS_PER_BATCH = 100;

/** The on-device verdict the user saw when labelling, kept for the accuracy job's agreement numbers. */
export const deviceVerdictSchema = z.object({
  model: modelNameSchema,
  modelVersion: z.string().min(1),
  label: z.string().min(1).max(64),
  confidence: z.number().min(0).max(1),
});
export type DeviceVerdict = z.infer<typeof deviceVerdictSchema>;

/**
 * How a label was obtained: `asked` when the app prompted for it because the verdict was unsure or the
 * device and server disagreed, `volunteered` when the person labelled unprompted. Asked labels
 * over-represent hard cases, so the accuracy job keeps them out of its headline figures. Absent in
 * records written before the app asked: those were volunteered.
 */
export const labelSourceSchema = z.enum(['asked', 'volunteered']);
export type LabelSource = z.infer<typeof labelSourceSchema>;

/**
 * One true label as the app sends it. `labelId` is made on the device when the user taps, so a label
 * retried after a lost answer (or synced twice) is recognised; `token` is the upload's capability.
 */
export const labelSubmissionSchema = z.object({
  labelId: z.uuid(),
  uploadId: z.uuid(),
  token: z.string().min(1),
  label: z.string().min(1).max(64),
  labeledAt: z.iso.datetime(),
  device: deviceVerdictSchema.optional(),
  source: labelSourceSchema.optional(),
});
export type LabelSubmission = z.infer<typeof labelSubmissionSchema>;

/** `POST /api/labels` body. */
export const submitLabelsRequestSchema = z.object({
  labels: z.array(labelSubmissionSchema).min(1).max(MAX_LABELS_PER_BATCH),
});
export type SubmitLabelsRequest = z.infer<typeof submitLabelsRequestSchema>;

/** What became of each label: `stored` now, `duplicate` (stored before: done), or `rejected` for good. */
export const labelOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ labelId: z.string(), status: z.literal('stored') }),
  z.object({ labelId: z.string(), status: z.literal('duplicate') }),
  z.object({ labelId: z.string(), status: z.literal('rejected'), code: z.string(), message: z.string() }),
]);
export type LabelOutcome = z.infer<typeof labelOutcomeSchema>;

/** `POST /api/labels` answer (200), one outcome per submitted label, in order. */
export const submitLabelsResponseSchema = z.object({ results: z.array(labelOutcomeSchema) });
export type SubmitLabelsResponse = z.infer<typeof submitLabelsResponseSchema>;

/**
 * One line of `labels/dt=YYYY-MM-DD/<batchId>.jsonl`, the accuracy job's label input. At least once:
 * the job counts each labelId once and, for an upload labelled twice, takes the latest `labeledAt`.
 */
export const labelRecordSchema = z.object({
  labelId: z.uuid(),
  uploadId: z.uuid(),
  label: z.string().min(1).max(64),
  labeledAt: z.iso.datetime(),
  receivedAt: z.iso.datetime().optional(),
  device: deviceVerdictSchema.optional(),
  /** Absent means `volunteered` (records from before the app asked). */
  source: labelSourceSchema.optional(),
});
export type LabelRecord = z.infer<typeof labelRecordSchema>;
