import { z } from 'zod';
import { predictionErrorSchema, predictionSchema } from './prediction.ts';

/**
 * What the Lambda posts to the gateway's `POST /internal/results`: a verdict or a reason there is none.
 * The body is signed (see platform/result-signature.ts); the gateway rejects anything unsigned or stale.
 */
export const uploadResultSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('prediction'), prediction: predictionSchema }),
  z.object({ type: z.literal('error'), error: predictionErrorSchema }),
]);
export type UploadResult = z.infer<typeof uploadResultSchema>;

/** The upload a result belongs to. */
export function resultUploadId(result: UploadResult): string {
  return result.type === 'prediction' ? result.prediction.uploadId : result.error.uploadId;
}
