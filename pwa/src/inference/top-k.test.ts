import { describe, expect, it } from 'vitest';
import { fitInside } from './image-pipeline.ts';
import { topK } from './top-k.ts';

describe('topK', () => {
  it('ranks labels by probability, ties in label order, clamped to [0, 1]', () => {
    expect(topK(new Float32Array([0.1, 0.3, 0.3, 1.0000001]), ['a', 'b', 'c', 'd'], 3)).toEqual([
      { label: 'd', confidence: 1 },
      { label: 'b', confidence: expect.closeTo(0.3, 6) },
      { label: 'c', confidence: expect.closeTo(0.3, 6) },
    ]);
  });

  it('returns at least one and at most all labels', () => {
    expect(topK([0.4, 0.6], ['a', 'b'], 0)).toHaveLength(1);
    expect(topK([0.4, 0.6], ['a', 'b'], 9)).toHaveLength(2);
  });
});

describe('fitInside', () => {
  it('scales the long side down to the limit and never enlarges', () => {
    expect(fitInside(4032, 3024, 1024)).toEqual({ width: 1024, height: 768 });
    expect(fitInside(900, 1200, 512)).toEqual({ width: 384, height: 512 });
    expect(fitInside(28, 28, 512)).toEqual({ width: 28, height: 28 });
    expect(fitInside(10_000, 1, 512)).toEqual({ width: 512, height: 1 });
  });
});
