import { describe, expect, it } from 'vitest';
import { classificationStrings } from './v2-classification.ts';

describe('classificationStrings', () => {
  it('returns the top k of each row as value:index:label, best first, row after row', () => {
    const output = Float32Array.of(0.1, 0.6, 0.3, 0.5, 0.25, 0.25);
    expect(classificationStrings(output, 3, ['a', 'b', 'c'], 2)).toEqual([
      '0.600000:1:b',
      '0.300000:2:c',
      '0.500000:0:a',
      '0.250000:1:b',
    ]);
  });

  it('follows the extension document: values [1, 5, 10, 4] rank as indices 2, 1, 3, 0', () => {
    const strings = classificationStrings(Float32Array.of(1, 5, 10, 4), 4, ['w', 'x', 'y', 'z'], 4);
    expect(strings).toEqual(['10.000000:2:y', '5.000000:1:x', '4.000000:3:z', '1.000000:0:w']);
  });
});
