import type { UploadResult } from '../../contracts/results.ts';

/** A well-formed prediction result for `uploadId`, as the Lambda would post it. */
export function predictionResult(uploadId: string, label = '7', predictedAt = new Date()): UploadResult {
  return {
    type: 'prediction',
    prediction: {
      uploadId,
      model: 'digits',
      modelVersion: '1',
      label,
      confidence: 0.9,
      topK: [{ label, confidence: 0.9 }],
      predictedAt: predictedAt.toISOString(),
    },
  };
}
