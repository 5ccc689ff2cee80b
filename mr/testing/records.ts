import type { LabelRecord } from '../../contracts/labels.ts';
import type { Prediction } from '../../contracts/prediction.ts';

/** Hand-made records for the tests: readable ids, everything else filled in. */
export function uploadId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function labelId(n: number): string {
  return `11111111-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export function prediction(n: number, fields: Partial<Prediction> = {}): Prediction {
  const label = fields.label ?? '7';
  const confidence = fields.confidence ?? 0.9;
  return {
    uploadId: uploadId(n),
    model: 'digits',
    modelVersion: '1',
    label,
    confidence,
    topK: [{ label, confidence }],
    predictedAt: '2026-03-01T10:00:00.000Z',
    ...fields,
  };
}

export function label(n: number, upload: number, fields: Partial<LabelRecord> = {}): LabelRecord {
  return {
    labelId: labelId(n),
    uploadId: uploadId(upload),
    label: '7',
    labeledAt: '2026-03-01T10:05:00.000Z',
    ...fields,
  };
}

export const line = (record: object) => JSON.stringify(record);
