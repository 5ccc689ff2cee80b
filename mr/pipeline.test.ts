import { describe, expect, it } from 'vitest';
import { accuracyMetricsSchema } from '../contracts/metrics.ts';
import type { ManifestLabels } from './class-order.ts';
import { finalizeMetrics } from './finalize.ts';
import { expectSameMetrics } from './testing/expect-same-metrics.ts';
import { label, line, prediction } from './testing/records.ts';
import { referenceMetrics } from './testing/reference-metrics.ts';
import { simulateJobs } from './testing/simulate-jobs.ts';
import { syntheticLines } from './testing/synthetic-records.ts';

const MANIFESTS: ManifestLabels = { digits: { '1': ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] } };

function viaJobs(lines: readonly string[], layout: { mappers: number; reducers: number; seed: number }) {
  const {
    runId: _r,
    generatedAt: _g,
    ...metrics
  } = finalizeMetrics(simulateJobs(lines, layout, MANIFESTS), {
    runId: 'test',
    generatedAt: new Date(0),
    manifests: MANIFESTS,
  });
  return metrics;
}

describe('the jobs, end to end through the pure core', () => {
  it.each([
    { seed: 1, mappers: 1, reducers: 1 },
    { seed: 2, mappers: 2, reducers: 3 },
    { seed: 3, mappers: 4, reducers: 7 },
    { seed: 4, mappers: 3, reducers: 2 },
  ])(
    'agree with the in-memory reference on random data (seed $seed, $mappers mappers, $reducers reducers)',
    (layout) => {
      const lines = syntheticLines({
        uploads: 1500,
        seed: layout.seed,
        days: 5,
        irregular: 0.04,
        malformedEvery: 60,
      });
      const expected = referenceMetrics(lines, MANIFESTS, { checkLabels: true });
      const actual = viaJobs(lines, layout);
      expectSameMetrics(actual, expected);
      expect(actual.coverage.duplicateLabels).toBeGreaterThan(0);
      // The synthetic app asked for some labels: the reference scores them apart too.
      expect(actual.models.some((m) => (m.labelSources?.asked ?? 0) > 0)).toBe(true);
      expect(actual.coverage.malformedLines).toBeGreaterThan(0);
    },
  );

  it('do not depend on the layout: same numbers for any split and partitioning', () => {
    const lines = syntheticLines({ uploads: 800, seed: 9 });
    const one = viaJobs(lines, { seed: 1, mappers: 1, reducers: 1 });
    expectSameMetrics(viaJobs(lines, { seed: 2, mappers: 5, reducers: 4 }), one);
  });

  it('count labels that are not one of the model version labels as invalid instead of making them classes', () => {
    const made = Array.from({ length: 1200 }, (_, i) => i + 1);
    const lines = [
      ...made.map((i) => line(prediction(i, { label: '3' }))),
      ...made.map((i) => line(label(i, i, { label: `made-up label ${i}` }))),
      line(prediction(5000, { label: '3' })),
      line(label(5000, 5000, { label: '3' })),
      line(prediction(5001, { model: 'unknown', label: 'x' })),
      line(label(5001, 5001, { label: 'x' })),
    ];
    const m = viaJobs(lines, { seed: 5, mappers: 3, reducers: 4 });
    expect(m.coverage.invalidLabels).toBe(1201);
    const [digits, unknown] = m.models;
    expect(digits?.confusion.labels).toEqual(MANIFESTS.digits?.['1']);
    expect(digits).toMatchObject({ n: 1, correct: 1, coverage: { invalidLabels: 1200 } });
    // A model version without a manifest has nothing to check labels against: none is scored.
    expect(unknown).toMatchObject({ model: 'unknown', n: 0, coverage: { invalidLabels: 1 } });
    expect(unknown?.confusion.labels).toEqual([]);
    expectSameMetrics(m, referenceMetrics(lines, MANIFESTS, { checkLabels: true }));
  });

  it('keep asked labels out of the headline accuracy and report them apart, per model version', () => {
    const lines = [
      // Volunteered (one with no source: an old record): the server was right on both.
      line(prediction(1, { label: '7', confidence: 0.95 })),
      line(label(1, 1, { label: '7', source: 'volunteered' })),
      line(prediction(2, { label: '3', confidence: 0.9 })),
      line(label(2, 2, { label: '3' })),
      // Asked where it was unsure: wrong on two of three.
      line(prediction(3, { label: '1', confidence: 0.4 })),
      line(label(3, 3, { label: '7', source: 'asked' })),
      line(prediction(4, { label: '4', confidence: 0.5 })),
      line(label(4, 4, { label: '9', source: 'asked' })),
      line(prediction(5, { label: '5', confidence: 0.55, outOfDistribution: true })),
      line(label(5, 5, { label: '5', source: 'asked' })),
      line(prediction(6, { label: '2', modelVersion: '2' })),
    ];
    const manifests: ManifestLabels = { digits: { '1': MANIFESTS.digits?.['1'] ?? [], '2': ['2'] } };
    const {
      runId: _r,
      generatedAt: _g,
      ...m
    } = finalizeMetrics(simulateJobs(lines, { seed: 3, mappers: 2, reducers: 3 }, manifests), {
      runId: 'test',
      generatedAt: new Date(0),
      manifests,
    });
    const [v1, v2] = m.models;
    expect(v1).toMatchObject({ version: '1', n: 2, correct: 2, accuracy: 1 });
    expect(v1?.labelSources).toEqual({ volunteered: 2, asked: 3, askedCorrect: 1, askedAccuracy: 1 / 3 });
    // Asked uploads are still predictions: the out-of-distribution share counts all five.
    expect(v1?.outOfDistribution).toEqual({ count: 1, share: 1 / 5 });
    expect(v1?.days[0]?.labelSources).toEqual(v1?.labelSources);
    expect(v2?.labelSources).toEqual({ volunteered: 0, asked: 0, askedCorrect: 0, askedAccuracy: null });
    expectSameMetrics(m, referenceMetrics(lines, manifests, { checkLabels: true }));
  });

  it('read reports written before labels had a source', () => {
    const lines = [line(prediction(1)), line(label(1, 1))];
    const report = finalizeMetrics(simulateJobs(lines, { seed: 1, mappers: 1, reducers: 1 }, MANIFESTS), {
      runId: 'old',
      generatedAt: new Date(0),
      manifests: MANIFESTS,
    });
    const old = {
      ...report,
      models: report.models.map(({ labelSources: _s, ...m }) => ({
        ...m,
        days: m.days.map(({ labelSources: _d, ...d }) => d),
      })),
    };
    expect(accuracyMetricsSchema.parse(old).models[0]?.labelSources).toBeUndefined();
  });

  it('score a small hand-worked case', () => {
    const lines = [
      line(prediction(1, { label: '7', confidence: 0.9 })),
      line(label(1, 1, { label: '7' })),
      line(prediction(2, { label: '1', confidence: 0.6 })),
      line(
        label(2, 2, {
          label: '7',
          device: { model: 'digits', modelVersion: '1', label: '7', confidence: 0.8 },
        }),
      ),
      line(label(3, 2, { label: '1', labeledAt: '2026-03-01T09:00:00.000Z' })), // earlier: replaced
      line(prediction(3, { label: '4', predictedAt: '2026-03-02T08:00:00.000Z' })), // never labelled
      line(label(4, 4, { label: '4' })), // no prediction
      line(label(4, 4, { label: '4' })), // synced twice
      '{"broken',
    ];
    const m = viaJobs(lines, { seed: 1, mappers: 2, reducers: 2 });
    expect(m.coverage).toEqual({
      predictionRecords: 3,
      labelRecords: 5,
      predictionsWithoutLabel: 1,
      labelsWithoutPrediction: 1,
      duplicatePredictions: 0,
      duplicateLabels: 1,
      supersededLabels: 1,
      invalidLabels: 0,
      malformedLines: 1,
      malformedByReason: { invalid_json: 1 },
    });
    const [digits] = m.models;
    expect(digits).toMatchObject({ model: 'digits', version: '1', n: 2, correct: 1, accuracy: 0.5 });
    expect(digits?.confusion.labels).toEqual(MANIFESTS.digits?.['1']);
    expect(digits?.confusion.matrix[7]?.[7]).toBe(1);
    expect(digits?.confusion.matrix[7]?.[1]).toBe(1);
    expect(digits?.device).toEqual({ n: 1, agreement: 0, accuracy: 1, serverAccuracy: 0 });
    // bins 13 (0.9, right) and 9 (0.6, wrong): (|1 - 0.9| + |0 - 0.6|) / 2
    expect(digits?.ece).toBeCloseTo(0.35, 12);
    expect(digits?.days.map((d) => [d.day, d.n, d.coverage.predictionsWithoutLabel])).toEqual([
      ['2026-03-01', 2, 0],
      ['2026-03-02', 0, 1],
    ]);
    expect(
      accuracyMetricsSchema.safeParse({ ...m, runId: 'x', generatedAt: new Date(0).toISOString() }).success,
    ).toBe(true);
  });
});
