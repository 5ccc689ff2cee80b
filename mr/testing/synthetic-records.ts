import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelRecord } from '../../contracts/labels.ts';
import type { Prediction } from '../../contracts/prediction.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';

/**
 * Seeded synthetic predictions and labels with every irregularity the job must survive: repeated
 * predictions and labels (at-least-once delivery), uploads labelled twice, predictions nobody labelled,
 * labels of uploads with no prediction, labels outside the model's classes, confidences of exactly 0, 1
 * and k/15, and malformed lines. For tests (small, in memory) and the benchmark (streamed to files).
 */

export interface SyntheticOptions {
  readonly uploads: number;
  readonly seed: number;
  /** Days the predictions spread over, from 2026-03-01. */
  readonly days?: number;
  /** Share of irregular records (each kind), e.g. 0.02. */
  readonly irregular?: number;
  /** One malformed line per this many uploads (0: none). */
  readonly malformedEvery?: number;
}

export type SyntheticRecord =
  | { readonly kind: 'prediction'; readonly record: Prediction }
  | { readonly kind: 'label'; readonly record: LabelRecord }
  | { readonly kind: 'malformed'; readonly line: string; readonly among: 'predictions' | 'labels' };

const MODELS = [
  {
    model: 'digits',
    version: '1',
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    accuracy: 0.93,
  },
  {
    model: 'digits',
    version: '2',
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    accuracy: 0.97,
  },
  {
    model: 'fashion',
    version: '1',
    labels: [
      'T-shirt/top',
      'Trouser',
      'Pullover',
      'Dress',
      'Coat',
      'Sandal',
      'Shirt',
      'Sneaker',
      'Bag',
      'Ankle boot',
    ],
    accuracy: 0.85,
  },
] as const;

const MALFORMED = [
  'not json at all',
  '{"uploadId": "truncated',
  '[1,2,3]',
  '{"hello":"world"}',
  '{"uploadId":"00000000-0000-4000-8000-000000000000","model":"digits","modelVersion":"1","label":"3","confidence":1.5,"topK":[{"label":"3","confidence":1}],"predictedAt":"2026-03-01T00:00:00.000Z"}',
  '{"labelId":"not-a-uuid","uploadId":"00000000-0000-4000-8000-000000000000","label":"3","labeledAt":"2026-03-01T00:00:00.000Z"}',
];

function uuid(random: () => number): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const variant = '89ab'[Math.floor(random() * 4)] as string;
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}

/** Yields the records of `options.uploads` uploads, in no particular order of kind. */
export function* syntheticRecords(options: SyntheticOptions): Generator<SyntheticRecord> {
  const random = seededRandom(options.seed);
  const days = options.days ?? 7;
  const irregular = options.irregular ?? 0.02;
  const start = Date.UTC(2026, 2, 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let u = 0; u < options.uploads; u++) {
    const m = pick(MODELS);
    const uploadId = uuid(random);
    const truth = random() < 0.01 ? 'not a digit\t"quoted"' : pick(m.labels);
    const correct = random() < m.accuracy;
    const verdict = correct ? truth : pick(m.labels);
    const edge = random();
    const confidence =
      edge < 0.03
        ? 1
        : edge < 0.04
          ? Math.floor(random() * 16) / 15
          : edge < 0.045
            ? 0
            : Math.fround(correct ? 0.6 + 0.4 * random() : 0.2 + 0.7 * random());
    const predictedAtMs =
      start + Math.floor(random() * days) * 86_400_000 + Math.floor(random() * 86_400_000);
    const prediction: Prediction = {
      uploadId,
      model: m.model,
      modelVersion: m.version,
      label: verdict,
      confidence,
      topK: [
        { label: verdict, confidence },
        { label: pick(m.labels), confidence: Math.fround((1 - confidence) * 0.5) },
        { label: pick(m.labels), confidence: Math.fround((1 - confidence) * 0.2) },
      ],
      // Unsure verdicts are flagged "not a digit", as a model with a threshold would (no extra draws:
      // the random stream, hence every other record, stays the same).
      ...(confidence < 0.25 ? { outOfDistribution: true } : {}),
      predictedAt: new Date(predictedAtMs).toISOString(),
    };
    const hasPrediction = random() >= irregular;
    if (hasPrediction) {
      yield { kind: 'prediction', record: prediction };
      if (random() < irregular) {
        // A replayed Lambda: same upload, sometimes a later verdict.
        const later = random() < 0.5;
        yield {
          kind: 'prediction',
          record: later
            ? {
                ...prediction,
                label: pick(m.labels),
                predictedAt: new Date(predictedAtMs + 1000).toISOString(),
              }
            : prediction,
        };
      }
    }
    if (random() < irregular * 3) continue; // never labelled
    const withDevice = random() < 0.5;
    const label: LabelRecord = {
      labelId: uuid(random),
      uploadId,
      label: truth,
      labeledAt: new Date(predictedAtMs + 60_000 + Math.floor(random() * 600_000)).toISOString(),
      receivedAt: new Date(predictedAtMs + 900_000).toISOString(),
      // The app asks where the server was unsure (no extra draws: every other record stays the same).
      ...(confidence < 0.6 ? { source: 'asked' as const } : {}),
      ...(withDevice
        ? {
            device: {
              model: m.model,
              modelVersion: m.version,
              label: random() < 0.9 ? verdict : pick(m.labels),
              confidence: Math.fround(random()),
            },
          }
        : {}),
    };
    yield { kind: 'label', record: label };
    if (random() < irregular) yield { kind: 'label', record: label }; // synced twice
    if (random() < irregular) {
      // The person changed their mind; sometimes at the very same instant (the larger labelId wins).
      const sameInstant = random() < 0.3;
      yield {
        kind: 'label',
        record: {
          labelId: uuid(random),
          uploadId,
          label: pick(m.labels),
          labeledAt: sameInstant
            ? label.labeledAt
            : new Date(Date.parse(label.labeledAt) + (random() < 0.5 ? 5_000 : -5_000)).toISOString(),
        },
      };
    }
    if (options.malformedEvery && u % options.malformedEvery === options.malformedEvery - 1) {
      yield { kind: 'malformed', line: pick(MALFORMED), among: random() < 0.5 ? 'predictions' : 'labels' };
    }
  }
}

/** The records as the lines a mapper would read (one record per line). */
export function syntheticLines(options: SyntheticOptions): string[] {
  return [...syntheticRecords(options)].map((r) =>
    r.kind === 'malformed' ? r.line : JSON.stringify(r.record),
  );
}

/**
 * Writes records in the bucket's layout under `dir`: one `predictions/dt=…/<uploadId>.json` per prediction
 * (no trailing newline, as the Lambda writes them; a repeat gets its own file), and
 * `labels/dt=…/<batch>.jsonl` of `labelsPerFile` lines. Returns how many records (lines) were written.
 */
export function writeSyntheticDir(
  dir: string,
  records: Iterable<SyntheticRecord>,
  labelsPerFile = 100,
): { predictions: number; labels: number; malformed: number; files: number } {
  const made = new Set<string>();
  const ensure = (d: string) => {
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
  };
  let lastUpload = '';
  let batch: string[] = [];
  let batchDay = '';
  let batches = 0;
  const counts = { predictions: 0, labels: 0, malformed: 0, files: 0 };
  const flushLabels = () => {
    if (batch.length === 0) return;
    const d = path.join(dir, 'labels', `dt=${batchDay}`);
    ensure(d);
    writeFileSync(path.join(d, `batch-${String(batches++).padStart(7, '0')}.jsonl`), `${batch.join('\n')}\n`);
    counts.files += 1;
    batch = [];
  };
  for (const r of records) {
    if (r.kind === 'prediction') {
      const day = r.record.predictedAt.slice(0, 10);
      const d = path.join(dir, 'predictions', `dt=${day}`);
      ensure(d);
      // A repeat always follows its original.
      const repeat = lastUpload === r.record.uploadId;
      lastUpload = r.record.uploadId;
      writeFileSync(
        path.join(d, `${r.record.uploadId}${repeat ? '-replay' : ''}.json`),
        JSON.stringify(r.record),
      );
      counts.predictions += 1;
      counts.files += 1;
    } else if (r.kind === 'label') {
      if (batch.length === 0) batchDay = r.record.labeledAt.slice(0, 10);
      batch.push(JSON.stringify(r.record));
      counts.labels += 1;
      if (batch.length >= labelsPerFile) flushLabels();
    } else {
      counts.malformed += 1;
      if (r.among === 'labels') {
        batch.push(r.line);
      } else {
        const d = path.join(dir, 'predictions', 'dt=2026-03-01');
        ensure(d);
        writeFileSync(path.join(d, `malformed-${counts.malformed}.json`), r.line);
        counts.files += 1;
      }
    }
  }
  flushLabels();
  return counts;
}
