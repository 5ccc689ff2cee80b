import { describe, expect, it } from 'vitest';
import {
  addMalformed,
  addScored,
  CONFIDENCE_SLOTS,
  CountsFormatError,
  confidenceSlot,
  emptyGlobalCounts,
  emptyGroupCounts,
  groupKey,
  mergeGroupCounts,
  parseGlobalCounts,
  parseGroupCounts,
  parseGroupKey,
  serializeGlobalCounts,
  serializeGroupCounts,
} from './counts.ts';

describe('confidence bins', () => {
  it('puts k/15 at the start of bin k and 1 in a bin of its own, like torchmetrics (right=True)', () => {
    expect(confidenceSlot(0)).toBe(0);
    expect(confidenceSlot(1 / 15)).toBe(1);
    expect(confidenceSlot(0.2)).toBe(3); // 0.2 * 15 = 3.0000000000000004
    expect(confidenceSlot(14 / 15)).toBe(14);
    expect(confidenceSlot(0.9999999)).toBe(14);
    expect(confidenceSlot(1)).toBe(15);
    expect(CONFIDENCE_SLOTS).toBe(16);
  });

  it('never puts a confidence below its bin or at its upper bound', () => {
    for (let k = 0; k < 15; k++) {
      const lower = k / 15;
      const justBelow = lower - Number.EPSILON;
      if (k > 0) expect(confidenceSlot(justBelow)).toBe(k - 1);
      expect(confidenceSlot(lower)).toBe(k);
    }
  });
});

describe('partial counts', () => {
  it('read back exactly what they wrote, labels with tabs and quotes included', () => {
    const counts = emptyGroupCounts();
    addScored(counts, { truth: 'a\t"b"', verdict: 'c', confidence: 0.1 + 0.2, deviceVerdict: 'c' });
    addScored(counts, { truth: 'c', verdict: 'c', confidence: 1 });
    counts.predictionsWithoutLabel = 3;
    counts.duplicateLabels = 2;
    const text = serializeGroupCounts(counts);
    expect(text).not.toMatch(/[\t\n]/);
    expect(parseGroupCounts(text)).toEqual(counts);

    const global = emptyGlobalCounts();
    global.predictionRecords = 5;
    addMalformed(global, 'invalid_json', 2);
    expect(parseGlobalCounts(serializeGlobalCounts(global))).toEqual(global);
  });

  it('read partials from before asked labels as none asked, and keep asked counts through a round trip', () => {
    const counts = emptyGroupCounts();
    counts.askedN = 3;
    counts.askedCorrect = 1;
    expect(parseGroupCounts(serializeGroupCounts(counts))).toEqual(counts);
    const { asked: _a, ...old } = JSON.parse(serializeGroupCounts(counts)) as Record<string, unknown>;
    expect(parseGroupCounts(JSON.stringify(old))).toMatchObject({ askedN: 0, askedCorrect: 0 });
    expect(() => parseGroupCounts(JSON.stringify({ ...old, asked: [1, 2] }))).toThrow(/asked/);
  });

  it('merge by adding every field', () => {
    const a = emptyGroupCounts();
    const b = emptyGroupCounts();
    addScored(a, { truth: '1', verdict: '1', confidence: 0.5 });
    addScored(b, { truth: '1', verdict: '2', confidence: 0.5, deviceVerdict: '1' });
    b.supersededLabels = 1;
    mergeGroupCounts(a, b);
    expect(a.n).toBe(2);
    expect(a.correct).toBe(1);
    expect(a.confusion.get('1')).toEqual(
      new Map([
        ['1', 1],
        ['2', 1],
      ]),
    );
    expect(a.binCount[7]).toBe(2);
    expect(a.binConfidence[7]).toBe(1);
    expect([a.deviceN, a.deviceAgree, a.deviceCorrect, a.deviceServerCorrect]).toEqual([1, 0, 1, 0]);
    expect(a.supersededLabels).toBe(1);
  });

  it('refuse a value that is not partial counts, naming the field', () => {
    expect(() => parseGroupCounts('{"n":1}')).toThrow(CountsFormatError);
    expect(() => parseGroupCounts('nope')).toThrow(/\(json\)/);
    expect(() => parseGlobalCounts('{"predictions":-1}')).toThrow(/predictions/);
  });

  it('keys groups by model, version and day as JSON that never holds a tab', () => {
    const key = groupKey('digits', '1\t2', '2026-03-01');
    expect(key).not.toContain('\t');
    expect(parseGroupKey(key)).toEqual({ model: 'digits', version: '1\t2', day: '2026-03-01' });
    expect(parseGroupKey('*')).toBeNull();
    expect(parseGroupKey('["a",1,"b"]')).toBeNull();
  });
});
