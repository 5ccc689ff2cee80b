import { z } from 'zod';
import { modelNameSchema } from './uploads.ts';

/** A model the user can choose, as `GET /api/models` lists it. */
export const modelSummarySchema = z.object({
  name: modelNameSchema,
  displayName: z.string(),
  version: z.string(),
  labels: z.array(z.string()).min(2),
  heldOutAccuracy: z.number().min(0).max(1).optional(),
  /** The model uploads get when they name none. */
  isDefault: z.boolean(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;

export const modelListSchema = z.object({ models: z.array(modelSummarySchema) });
export type ModelList = z.infer<typeof modelListSchema>;
