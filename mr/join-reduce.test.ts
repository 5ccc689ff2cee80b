import { describe, expect, it } from 'vitest';
import { groupKey, parseGlobalCounts, parseGroupCounts } from './counts.ts';
import { mapLine } from './join-map.ts';
import { JoinAccumulator, reduceKey } from './join-reduce.ts';
import { label, line, prediction, uploadId } from './testing/records.ts';

/** The mapper's values for records of one upload, as the reducer gets them. */
function values(...records: object[]): string[] {
  return records.map((r) => {
    const result = mapLine(line(r));
    if (result.kind !== 'prediction' && result.kind !== 'label') throw new Error(`not a record: ${line(r)}`);
    return result.value;
  });
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('join reducer (reduceKey)', () => {
  it('counts a labelId seen twice once', () => {
    const joined = reduceKey(uploadId(1), values(prediction(1), label(1, 1), label(1, 1)));
    expect(joined.label?.labelId).toBe(label(1, 1).labelId);
    expect(joined.duplicateLabels).toBe(1);
    expect(joined.supersededLabels).toBe(0);
  });

  it('takes the latest label of an upload labelled twice, whatever order the values come in', () => {
    const early = label(1, 1, { label: '1', labeledAt: '2026-03-01T10:00:00.000Z' });
    const late = label(2, 1, { label: '2', labeledAt: '2026-03-01T11:00:00.000Z' });
    for (const order of permutations(values(prediction(1), early, late, early))) {
      const joined = reduceKey(uploadId(1), order);
      expect(joined.label?.label).toBe('2');
      expect(joined.supersededLabels).toBe(1);
      expect(joined.duplicateLabels).toBe(1);
    }
  });

  it('breaks a tie of labeledAt by the larger labelId', () => {
    const a = label(8, 1, { label: 'a' });
    const b = label(9, 1, { label: 'b' });
    for (const order of permutations(values(a, b)))
      expect(reduceKey(uploadId(1), order).label?.label).toBe('b');
  });

  it('keeps the latest of a repeated prediction and counts the repeats', () => {
    const first = prediction(1, { label: '1', predictedAt: '2026-03-01T10:00:00.000Z' });
    const retry = prediction(1, { label: '2', predictedAt: '2026-03-01T10:00:01.000Z' });
    for (const order of permutations(values(first, retry, first))) {
      const joined = reduceKey(uploadId(1), order);
      expect(joined.prediction?.label).toBe('2');
      expect(joined.duplicatePredictions).toBe(2);
    }
  });

  it('counts a value it cannot read instead of failing', () => {
    const joined = reduceKey(uploadId(1), ['P\tbroken', ...values(prediction(1))]);
    expect(joined.malformedValues).toBe(1);
    expect(joined.prediction).not.toBeNull();
  });
});

describe('join accumulator', () => {
  it('sums uploads into partial counts per model, version and day, and the rest into the global counts', () => {
    const sums = new JoinAccumulator();
    sums.add(reduceKey(uploadId(1), values(prediction(1, { label: '7' }), label(1, 1, { label: '7' }))));
    sums.add(
      reduceKey(
        uploadId(2),
        values(prediction(2, { label: '7', confidence: 1 }), label(2, 2, { label: '1' })),
      ),
    );
    sums.add(reduceKey(uploadId(3), values(prediction(3, { predictedAt: '2026-03-02T00:00:00.000Z' }))));
    sums.add(reduceKey(uploadId(4), values(label(4, 4), label(5, 4), label(5, 4))));
    sums.addGlobal([
      '{"predictions":3,"labels":4,"malformed":{"invalid_json":2},"unpredicted":0,"dupLabels":0,"superseded":0}',
    ]);
    const lines = new Map(
      sums.lines().map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]),
    );

    const day1 = parseGroupCounts(lines.get(groupKey('digits', '1', '2026-03-01')) as string);
    expect(day1.n).toBe(2);
    expect(day1.correct).toBe(1);
    expect(day1.binCount[15]).toBe(1);
    const day2 = parseGroupCounts(lines.get(groupKey('digits', '1', '2026-03-02')) as string);
    expect(day2.n).toBe(0);
    expect(day2.predictionsWithoutLabel).toBe(1);
    const global = parseGlobalCounts(lines.get('*') as string);
    expect(global).toMatchObject({
      predictionRecords: 3,
      labelRecords: 4,
      labelsWithoutPrediction: 1,
      duplicateLabels: 1,
      supersededLabels: 1,
    });
    expect(global.malformed.get('invalid_json')).toBe(2);
  });
});
