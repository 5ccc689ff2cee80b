import { describe, expect, it } from 'vitest';
import { topK } from './top-k.ts';

const LABELS = ['a', 'b', 'c', 'd'];

describe('topK', () => {
  it('ranks labels by probability, best first', () => {
    expect(topK([0.1, 0.6, 0.05, 0.25], LABELS, 3)).toEqual([
      { label: 'b', confidence: 0.6 },
      { label: 'd', confidence: 0.25 },
      { label: 'a', confidence: 0.1 },
    ]);
  });

  it('breaks ties by label order and clamps k to 1..labels', () => {
    expect(topK([0.25, 0.25, 0.25, 0.25], LABELS, 2).map((s) => s.label)).toEqual(['a', 'b']);
    expect(topK([0.1, 0.2, 0.3, 0.4], LABELS, 10)).toHaveLength(4);
    expect(topK([0.1, 0.2, 0.3, 0.4], LABELS, 0)).toHaveLength(1);
  });

  it('keeps float32 rounding inside [0, 1]', () => {
    expect(topK([1.0000001, -1e-9, 0, 0], LABELS, 2)).toEqual([
      { label: 'a', confidence: 1 },
      { label: 'c', confidence: 0 },
    ]);
  });
});
