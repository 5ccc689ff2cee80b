import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracyMetricsSchema } from '../contracts/metrics.ts';
import { latestReportPointerSchema } from '../contracts/reports.ts';
import { type ScratchS3, startScratchS3 } from '../test/support/scratch-s3.ts';
import { type Bundles, buildBundles } from './bundles.ts';
import { TaskFailedError } from './local/task-pipeline.ts';
import { runLocalAccuracyJob } from './local-accuracy-job.ts';
import { loadManifestLabels } from './manifest-labels.ts';
import { directoryReportSink, s3ReportSink } from './report-publisher.ts';
import { expectSameMetrics } from './testing/expect-same-metrics.ts';
import { label, line, prediction } from './testing/records.ts';
import { referenceMetrics } from './testing/reference-metrics.ts';
import { syntheticRecords, writeSyntheticDir } from './testing/synthetic-records.ts';

const BUCKET = 'pictor-test';
let dir: string;
let bundles: Bundles;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-mr-local-'));
  bundles = await buildBundles(path.join(dir, 'bundles'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const layout = () => ({ mappers: 2, reducers: 3, sortBuffer: '1M', modelsDir: 'models', bundles });
const lineOf = (r: ReturnType<typeof syntheticRecords> extends Iterable<infer T> ? T : never) =>
  r.kind === 'malformed' ? r.line : JSON.stringify(r.record);

describe('the local runner', () => {
  it('runs both jobs over a folder laid out like the bucket and matches the reference', async () => {
    const options = { uploads: 1000, seed: 31, malformedEvery: 80 };
    const input = path.join(dir, 'in');
    writeSyntheticDir(input, syntheticRecords(options), 37);
    const result = await runLocalAccuracyJob({
      source: { kind: 'directory', dir: input },
      sink: directoryReportSink(path.join(dir, 'out')),
      runId: 'run-dir',
      ...layout(),
      workRoot: path.join(dir, 'work'),
    });
    const { runId: _r, generatedAt: _g, ...metrics } = result.metrics;
    expectSameMetrics(
      metrics,
      referenceMetrics([...syntheticRecords(options)].map(lineOf), await loadManifestLabels('models'), {
        checkLabels: true,
      }),
    );

    const latest = latestReportPointerSchema.parse(
      JSON.parse(await readFile(path.join(dir, 'out/reports/latest.json'), 'utf8')),
    );
    expect(latest).toMatchObject({
      runId: 'run-dir',
      metricsKey: 'reports/run-dir/metrics.json',
      reportKey: 'reports/run-dir/report.html',
    });
    const written = accuracyMetricsSchema.parse(
      JSON.parse(await readFile(path.join(dir, 'out', latest.metricsKey), 'utf8')),
    );
    expect(written).toEqual(result.metrics);
    expect(await readFile(path.join(dir, 'out', latest.reportKey), 'utf8')).toMatch(/^<!doctype html>/);
    // The work folder is gone unless asked for.
    expect(await readdir(path.join(dir, 'work'))).toEqual([]);
  });

  it('fails loudly, naming the task, when a program fails', async () => {
    const input = path.join(dir, 'in-bad');
    writeSyntheticDir(input, syntheticRecords({ uploads: 10, seed: 1 }));
    const run = runLocalAccuracyJob({
      source: { kind: 'directory', dir: input },
      sink: directoryReportSink(path.join(dir, 'out-bad')),
      runId: 'run-bad',
      ...layout(),
      sortBuffer: 'not-a-size',
      workRoot: path.join(dir, 'work'),
    });
    await expect(run).rejects.toThrow(TaskFailedError);
    await expect(run).rejects.toThrow(/task join-reduce-\d failed: sort/);
  });
});

describe('the local runner against a real local S3', () => {
  let s3: S3Client;
  let scratch: ScratchS3;

  beforeAll(async () => {
    scratch = await startScratchS3({
      bucket: BUCKET,
      allowedOrigins: ['http://127.0.0.1:*'],
      directory: path.join(dir, 's3'),
    });
    ({ s3 } = scratch);
  });
  afterAll(async () => {
    await scratch?.close();
  });

  it('reads predictions and labels from the bucket and writes the report back, latest.json last', async () => {
    const options = { uploads: 60, seed: 41, malformedEvery: 20 };
    const local = path.join(dir, 's3-source');
    writeSyntheticDir(local, syntheticRecords(options), 25);
    // Upload the folder as objects with the same keys.
    for (const entry of await readdir(local, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const key = path.relative(local, file).split(path.sep).join('/');
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(file) }));
    }
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/not-an-input', Body: 'image bytes' }));

    const result = await runLocalAccuracyJob({
      source: { kind: 's3', s3, bucket: BUCKET },
      sink: s3ReportSink(s3, BUCKET),
      runId: 'run-s3',
      ...layout(),
      workRoot: path.join(dir, 'work'),
    });
    const read = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ??
      '';
    const latest = latestReportPointerSchema.parse(JSON.parse(await read('reports/latest.json')));
    expect(latest.runId).toBe('run-s3');
    const metrics = accuracyMetricsSchema.parse(JSON.parse(await read(latest.metricsKey)));
    const { runId: _r, generatedAt: _g, ...rest } = metrics;
    expectSameMetrics(
      rest,
      referenceMetrics([...syntheticRecords(options)].map(lineOf), await loadManifestLabels('models'), {
        checkLabels: true,
      }),
    );
    expect(metrics).toEqual(result.metrics);
    const report = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: latest.reportKey }));
    expect(report.ContentType).toBe('text/html; charset=utf-8');
  });

  it('stays small and succeeds with 1,500 made-up labels: they are counted as invalid, latest.json moves on', async () => {
    const uploads = Array.from({ length: 1500 }, (_, i) => i + 1);
    const predictionLines = uploads.map((i) => line(prediction(i, { label: String(i % 10) })));
    // Every label a different string, as an abuser posting through the API would make them.
    const labelLines = uploads.map((i) => line(label(i, i, { label: `garbage ${i} ${'x'.repeat(40)}` })));
    labelLines.push(line(label(9999, 10, { label: '0', labeledAt: '2026-03-01T11:00:00.000Z' })));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'predictions/dt=2026-03-01/many.json',
        Body: `${predictionLines.join('\n')}\n`,
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'labels/dt=2026-03-01/garbage.jsonl',
        Body: `${labelLines.join('\n')}\n`,
      }),
    );

    const result = await runLocalAccuracyJob({
      source: { kind: 's3', s3, bucket: BUCKET },
      sink: s3ReportSink(s3, BUCKET),
      runId: 'run-abuse',
      ...layout(),
      workRoot: path.join(dir, 'work'),
    });
    const object = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ??
      '';
    const latest = latestReportPointerSchema.parse(JSON.parse(await object('reports/latest.json')));
    expect(latest.runId).toBe('run-abuse');
    const metricsJson = await object(latest.metricsKey);
    const html = await object(latest.reportKey);
    const digits = result.metrics.models.find((m) => m.model === 'digits' && m.version === '1');
    expect(digits?.confusion.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Upload 10's later label "0" replaced its garbage one; the other 1,499 are invalid.
    expect(digits?.coverage.invalidLabels).toBeGreaterThanOrEqual(1499);
    expect(result.metrics.coverage.invalidLabels).toBeGreaterThanOrEqual(1499);
    expect(metricsJson).not.toContain('garbage');
    expect(html).not.toContain('garbage');
    // Bounded by the manifests' classes, not by the labels posted (the abuse made 4.4 MB and 235 MB).
    expect(Buffer.byteLength(metricsJson)).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(html)).toBeLessThan(512 * 1024);
  });
});
