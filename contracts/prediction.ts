import { z } from 'zod';

/** One entry of a ranked list of classes. */
export const scoredLabelSchema = z.object({
  label: z.string().min(1),
  confidence: z.number().min(0).max(1),
});
export type ScoredLabel = z.infer<typeof scoredLabelSchema>;

/**
 * A model's verdict on one image, wherever it is made: the host's `/classify` answer
 * (`ImageClassification`), the server's verdict on an upload (`Prediction`, adding which upload and
 * when), and the device's (pwa/src/inference/device-classifier.ts `DeviceInference`, adding timings;
 * History keeps it as `ItemRecord.device`). One shape, so a field added here reaches every one.
 */
export const verdictSchema = z.object({
  model: z.string().min(1),
  modelVersion: z.string().min(1),
  label: z.string().min(1),
  confidence: z.number().min(0).max(1),
  topK: z.array(scoredLabelSchema).min(1),
  /**
   * The model says the image is not what it knows ("not a digit"; contracts/out-of-distribution.ts):
   * `label` and `topK` stay its best guess. Absent (records from before, models without a threshold): false.
   */
  outOfDistribution: z.boolean().optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;

/**
 * The server's verdict on one upload. The Lambda writes it to S3 under `predictions/` (the accuracy
 * job's input) and sends it to the gateway, which pushes it to the browser.
 */
export const predictionSchema = verdictSchema.extend({
  uploadId: z.uuid(),
  predictedAt: z.iso.datetime(),
});
export type Prediction = z.infer<typeof predictionSchema>;

/** Why an upload got no verdict. `unsupported_image` and `image_too_large` are the uploader's to fix. */
export const PREDICTION_ERROR_CODES = [
  'unsupported_image',
  'image_too_large',
  'unknown_model',
  'inference_failed',
] as const;
export const predictionErrorCodeSchema = z.enum(PREDICTION_ERROR_CODES);
export type PredictionErrorCode = z.infer<typeof predictionErrorCodeSchema>;

/**
 * Why an upload has no verdict (yet). `final: false` while the system is still trying (a verdict or a
 * final error will follow by itself); `final: true` when nothing more will come for this upload.
 */
export const predictionErrorSchema = z.object({
  uploadId: z.uuid(),
  code: predictionErrorCodeSchema,
  message: z.string().min(1),
  final: z.boolean(),
});
export type PredictionError = z.infer<typeof predictionErrorSchema>;
