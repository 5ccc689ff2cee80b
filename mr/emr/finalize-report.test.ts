import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracyMetricsSchema } from '../../contracts/metrics.ts';
import { latestReportPointerSchema } from '../../contracts/reports.ts';
import { LOCAL_S3_CREDENTIALS, type RunningLocalS3 } from '../../stack/local-s3.ts';
import { type ScratchS3, startScratchS3 } from '../../test/support/scratch-s3.ts';
import { buildBundles } from '../bundles.ts';
import { expectSameMetrics } from '../testing/expect-same-metrics.ts';
import { referenceMetrics } from '../testing/reference-metrics.ts';
import { simulateJobs } from '../testing/simulate-jobs.ts';
import { syntheticLines } from '../testing/synthetic-records.ts';

const BUCKET = 'pictor-emr';
let dir: string;
let server: RunningLocalS3;
let s3: S3Client;
let scratch: ScratchS3;
let finalizer: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-finalize-'));
  scratch = await startScratchS3({
    bucket: BUCKET,
    allowedOrigins: ['http://127.0.0.1:*'],
    directory: path.join(dir, 's3'),
  });
  ({ server, s3 } = scratch);
  finalizer = (await buildBundles(path.join(dir, 'bundles'), ['finalize-report']))['finalize-report'];
});
afterAll(async () => {
  await scratch?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the EMR run's report step (finalize-report.js)", () => {
  it('reads the totals job output from S3 and writes metrics.json, report.html and then latest.json', async () => {
    // What the totals step leaves in S3: part files (and Hadoop's _SUCCESS), beside the class lists.
    const lines = syntheticLines({ uploads: 300, seed: 8, malformedEvery: 50 });
    const totals = simulateJobs(lines, { mappers: 2, reducers: 2, seed: 1 });
    const half = Math.ceil(totals.length / 2);
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    await put('mr/runs/r1/totals/part-00000', `${totals.slice(0, half).join('\n')}\n`);
    await put('mr/runs/r1/totals/part-00001', `${totals.slice(half).join('\n')}\n`);
    await put('mr/runs/r1/totals/_SUCCESS', '');
    await put(
      'mr/runs/r1/class-lists.json',
      JSON.stringify({ digits: { '1': ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'] } }),
    );

    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          finalizer,
          '--totals',
          `s3://${BUCKET}/mr/runs/r1/totals/`,
          '--class-lists',
          `s3://${BUCKET}/mr/runs/r1/class-lists.json`,
          '--bucket',
          BUCKET,
          '--run-id',
          'r1',
          '--region',
          'us-east-1',
        ],
        {
          env: {
            ...process.env,
            S3_ENDPOINT: server.endpoint,
            S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
            S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
          },
        },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);

    const read = async (key: string) =>
      (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString()) ??
      '';
    const latest = latestReportPointerSchema.parse(JSON.parse(await read('reports/latest.json')));
    expect(latest).toMatchObject({
      runId: 'r1',
      metricsKey: 'reports/r1/metrics.json',
      reportKey: 'reports/r1/report.html',
    });
    const {
      runId: _r,
      generatedAt: _g,
      ...metrics
    } = accuracyMetricsSchema.parse(JSON.parse(await read(latest.metricsKey)));
    const manifests = { digits: { '1': ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'] } };
    expectSameMetrics(metrics, referenceMetrics(lines, manifests));
    expect(metrics.models[0]?.confusion.labels.slice(0, 3)).toEqual(['9', '8', '7']);
    expect(await read(latest.reportKey)).toContain('<!doctype html>');
  });
});
