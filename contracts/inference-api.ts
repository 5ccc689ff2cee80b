import { z } from 'zod';
import { scoredLabelSchema } from './prediction.ts';

/**
 * The inference host's image route, `POST /v2/models/{model}[/versions/{v}]/classify?top_k=K`, an
 * extension beside the Open Inference Protocol: the body is the encoded image, the answer its verdict.
 */
export const imageClassificationSchema = z.object({
  model: z.string().min(1),
  modelVersion: z.string().min(1),
  label: z.string().min(1),
  confidence: z.number().min(0).max(1),
  topK: z.array(scoredLabelSchema).min(1),
});
export type ImageClassification = z.infer<typeof imageClassificationSchema>;

/** Error body of every inference host route, as the Open Inference Protocol defines it (`code` is ours). */
export const inferenceErrorSchema = z.object({ error: z.string(), code: z.string().optional() });
