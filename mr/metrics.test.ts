import { describe, expect, it } from 'vitest';
import { compareLabels, orderClasses } from './class-order.ts';
import { addScored, emptyGroupCounts, type ScoredUpload } from './counts.ts';
import { computeMetrics } from './metrics.ts';

function counts(rows: ReadonlyArray<ScoredUpload>) {
  const c = emptyGroupCounts();
  for (const row of rows) addScored(c, row);
  return c;
}

const pairs = (truth: readonly string[], verdict: readonly string[], confidence = 0.5) =>
  truth.map((t, i) => ({ truth: t, verdict: verdict[i] as string, confidence }));

describe('computeMetrics, worked by hand', () => {
  it("matches scikit-learn's documented example for precision, recall and F1", () => {
    // y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1] (precision_score docs).
    const m = computeMetrics(counts(pairs(['0', '1', '2', '0', '1', '2'], ['0', '2', '1', '0', '0', '1'])), [
      '0',
      '1',
      '2',
    ]);
    expect(m.confusion.matrix).toEqual([
      [2, 0, 0],
      [1, 0, 1],
      [0, 2, 0],
    ]);
    expect(m.accuracy).toBeCloseTo(1 / 3, 12);
    expect(m.classes.map((c) => [c.precision, c.recall, c.f1, c.support])).toEqual([
      [2 / 3, 1, 0.8, 2],
      [0, 0, 0, 2],
      [0, 0, 0, 2],
    ]);
    expect(m.macro.precision).toBeCloseTo(0.2222222222222222, 12);
    expect(m.macro.recall).toBeCloseTo(1 / 3, 12);
    expect(m.macro.f1).toBeCloseTo(0.26666666666666666, 12);
    expect(m.weighted.f1).toBeCloseTo(0.26666666666666666, 12);
    expect(m.kappa).toBeCloseTo(0, 12); // p_o = p_e = 1/3
  });

  it("gives Cohen's kappa 0.4 for 20/5/10/15 (p_o = 0.7, p_e = 0.5)", () => {
    const rows = [
      ...Array.from({ length: 20 }, () => ({ truth: 'yes', verdict: 'yes', confidence: 0.9 })),
      ...Array.from({ length: 5 }, () => ({ truth: 'yes', verdict: 'no', confidence: 0.9 })),
      ...Array.from({ length: 10 }, () => ({ truth: 'no', verdict: 'yes', confidence: 0.9 })),
      ...Array.from({ length: 15 }, () => ({ truth: 'no', verdict: 'no', confidence: 0.9 })),
    ];
    const m = computeMetrics(counts(rows), ['no', 'yes']);
    expect(m.kappa).toBeCloseTo(0.4, 12);
    expect(m.accuracy).toBe(0.7);
  });

  it('computes ECE over 15 bins: Σ |accuracy - confidence| · n_bin / n', () => {
    // 0.55 and 0.55 wrong (bin 8), 0.6 right (bin 9: k/15 opens bin k), 0.9 right (bin 13).
    const m = computeMetrics(
      counts([
        { truth: '0', verdict: '2', confidence: 0.55 },
        { truth: '1', verdict: '0', confidence: 0.55 },
        { truth: '2', verdict: '2', confidence: 0.6 },
        { truth: '0', verdict: '0', confidence: 0.9 },
      ]),
      ['0', '1', '2'],
    );
    // bin 8: |0 - 0.55| · 2/4 = 0.275; bin 9: |1 - 0.6| · 1/4 = 0.1; bin 13: |1 - 0.9| · 1/4 = 0.025
    expect(m.ece).toBeCloseTo(0.4, 12);
    const used = m.calibration.bins.filter((b) => b.count > 0);
    expect(used.map((b) => [b.lower, b.count, b.correct])).toEqual([
      [8 / 15, 2, 0],
      [9 / 15, 1, 1],
      [13 / 15, 1, 1],
    ]);
    expect(m.calibration.bins).toHaveLength(16);
    expect(m.calibration.bins[15]).toMatchObject({ lower: 1, upper: 1, count: 0, accuracy: null });
  });

  it('gives confidence exactly 1 its own bin', () => {
    const m = computeMetrics(
      counts([
        { truth: 'a', verdict: 'a', confidence: 1 },
        { truth: 'a', verdict: 'b', confidence: 1 },
      ]),
      ['a', 'b'],
    );
    expect(m.calibration.bins[15]).toMatchObject({ count: 2, correct: 1, accuracy: 0.5, confidence: 1 });
    expect(m.ece).toBeCloseTo(0.5, 12);
  });

  it('leaves classes nobody predicted or labelled out of the macro mean, and says null where nothing is defined', () => {
    const m = computeMetrics(counts(pairs(['1', '1'], ['1', '1'])), ['0', '1', '2']);
    expect(m.classes.map((c) => c.support)).toEqual([0, 2, 0]);
    expect(m.macro).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(m.kappa).toBeNull(); // chance agreement is 1
    const empty = computeMetrics(emptyGroupCounts(), ['0']);
    expect(empty).toMatchObject({ n: 0, accuracy: null, kappa: null, ece: null });
    expect(empty.device).toEqual({ n: 0, agreement: null, accuracy: null, serverAccuracy: null });
  });

  it('compares the on-device verdicts with the server and the truth', () => {
    const m = computeMetrics(
      counts([
        { truth: '1', verdict: '1', confidence: 0.9, deviceVerdict: '1' },
        { truth: '1', verdict: '2', confidence: 0.9, deviceVerdict: '1' },
        { truth: '2', verdict: '2', confidence: 0.9, deviceVerdict: '1' },
        { truth: '2', verdict: '2', confidence: 0.9 },
      ]),
      ['1', '2'],
    );
    expect(m.device).toEqual({ n: 3, agreement: 1 / 3, accuracy: 2 / 3, serverAccuracy: 2 / 3 });
  });

  it('refuses a class list that misses a seen label', () => {
    expect(() => computeMetrics(counts(pairs(['x'], ['y'])), ['x'])).toThrow(/"y"/);
  });
});

describe('class order', () => {
  it('follows the model manifest, then puts other labels in numeric-aware order', () => {
    expect(orderClasses(['10', '2', 'cat', '1.5', 'Dog'], undefined)).toEqual([
      '1.5',
      '2',
      '10',
      'Dog',
      'cat',
    ]);
    expect(orderClasses(['b', 'z', 'a'], ['c', 'b', 'a'])).toEqual(['c', 'b', 'a', 'z']);
    expect([...['9', '10', '-1']].sort(compareLabels)).toEqual(['-1', '9', '10']);
  });
});
