import { describe, expect, it } from 'vitest';
import type { UploadResult } from '../contracts/results.ts';
import { predictionResult } from '../test/support/results.ts';
import { ResultStore } from './result-store.ts';

const A = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
const B = '4f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
const C = '5f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

const prediction = (uploadId: string, label = '7') =>
  predictionResult(uploadId, label, new Date('2024-01-01T00:00:00.000Z'));
const failure = (
  uploadId: string,
  code: 'inference_failed' | 'unsupported_image' = 'inference_failed',
  final = false,
): UploadResult => ({
  type: 'error',
  error: { uploadId, code, message: 'm', final },
});

describe('ResultStore', () => {
  it('keeps the first prediction and calls later ones duplicates', () => {
    const store = new ResultStore(60_000, 10);
    expect(store.put(prediction(A, '7'))).toBe('stored');
    expect(store.put(prediction(A, '1'))).toBe('duplicate');
    expect(store.get(A)).toEqual(prediction(A, '7'));
  });

  it('lets a prediction replace an earlier non-final error, never the other way round', () => {
    const store = new ResultStore(60_000, 10);
    expect(store.put(failure(A))).toBe('stored');
    expect(store.put(failure(A))).toBe('duplicate');
    expect(store.put(prediction(A))).toBe('replaced');
    expect(store.put(failure(A))).toBe('duplicate');
    expect(store.get(A)?.type).toBe('prediction');
  });

  it('keeps the first final outcome: a final error is not replaced by a later prediction', () => {
    const store = new ResultStore(60_000, 10);
    expect(store.put(failure(A, 'unsupported_image', true))).toBe('stored');
    expect(store.put(prediction(A))).toBe('duplicate');
    expect(store.get(A)?.type).toBe('error');
  });

  it('keeps verdicts apart from errors: a flood of errors cannot evict a verdict', () => {
    const store = new ResultStore(60_000, 10, 2);
    store.put(prediction(A));
    for (let i = 0; i < 100; i++) {
      store.put(
        failure(`${String(i).padStart(8, '0')}-9d8e-4f7a-8b6c-5d4e3f2a1b0c`, 'unsupported_image', true),
      );
    }
    expect(store.get(A)?.type).toBe('prediction');
    expect(store.size).toBe(3);
  });

  it('forgets results after their time to live', () => {
    let now = 50_000;
    const store = new ResultStore(1_000, 10, 10, () => now);
    store.put(prediction(A));
    now = 51_000;
    expect(store.get(A)).toBeDefined();
    now = 51_001;
    expect(store.get(A)).toBeUndefined();
  });

  it('drops the oldest results beyond its capacity', () => {
    const store = new ResultStore(60_000, 2);
    store.put(prediction(A));
    store.put(prediction(B));
    store.put(prediction(C));
    expect(store.size).toBe(2);
    expect(store.get(A)).toBeUndefined();
    expect(store.get(C)).toBeDefined();
  });
});
