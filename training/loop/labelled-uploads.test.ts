import { describe, expect, it } from 'vitest';
import { joinLabelledUploads } from './labelled-uploads.ts';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const U3 = '33333333-3333-4333-8333-333333333333';
const L = (n: number) => `${String(n).repeat(8)}-aaaa-4aaa-8aaa-aaaaaaaaaaaa`;

const prediction = (uploadId: string, model: string, label: string) =>
  JSON.stringify({
    uploadId,
    predictedAt: '2026-12-01T10:00:00.000Z',
    model,
    modelVersion: '2',
    label,
    confidence: 0.6,
    topK: [{ label, confidence: 0.6 }],
  });
const label = (labelId: string, uploadId: string, value: string, at: string, source?: string) =>
  JSON.stringify({ labelId, uploadId, label: value, labeledAt: at, ...(source ? { source } : {}) });

describe('labelled uploads joined as the accuracy job joins them', () => {
  it("keeps the latest label per upload, counts a labelId once, and keeps only the model's uploads and labels", () => {
    const lines = [
      prediction(U1, 'digits', '1'),
      label(L(1), U1, '7', '2026-12-01T10:01:00.000Z'),
      label(L(2), U1, '2', '2026-12-01T10:05:00.000Z', 'asked'),
      label(L(2), U1, '2', '2026-12-01T10:05:00.000Z', 'asked'),
      prediction(U2, 'fashion', 'Bag'),
      label(L(3), U2, 'Bag', '2026-12-01T10:01:00.000Z'),
      prediction(U3, 'digits', '3'),
      label(L(4), U3, 'cat', '2026-12-01T10:01:00.000Z'),
      label(L(5), '44444444-4444-4444-8444-444444444444', '4', '2026-12-01T10:01:00.000Z'),
      'not json',
    ];
    const joined = joinLabelledUploads(lines, 'digits', ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(joined.uploads).toEqual([
      { uploadId: U1, label: '2', classIndex: 2, predictedVersion: '2', asked: true },
    ]);
    expect(joined).toMatchObject({
      otherModels: 1,
      notInLabelSet: 1,
      withoutPrediction: 1,
      malformedLines: 1,
      labelRecords: 6,
    });
  });
});
