import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AccuracyMetrics } from '../contracts/metrics.ts';
import { LATEST_REPORT_KEY, type LatestReportPointer } from '../contracts/reports.ts';
import { REPORTS_PREFIX } from '../contracts/s3-keys.ts';
import { renderReport } from './report-html.ts';

/** Where reports go: the bucket, or a folder laid out like it. */
export interface ReportSink {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Where a key ends up, for people: `s3://bucket/key` or a path. */
  locate(key: string): string;
}

export function s3ReportSink(s3: S3Client, bucket: string): ReportSink {
  return {
    async put(key, body, contentType) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
    locate: (key) => `s3://${bucket}/${key}`,
  };
}

export function directoryReportSink(root: string): ReportSink {
  return {
    async put(key, body) {
      const file = path.join(root, ...key.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      // Write then rename, so a reader never sees half a file.
      await writeFile(`${file}.tmp`, body);
      await rename(`${file}.tmp`, file);
    },
    locate: (key) => path.join(root, ...key.split('/')),
  };
}

/**
 * Writes `reports/<runId>/metrics.json` and `report.html`, then `reports/latest.json` last, so that the
 * pointer never names a run whose files are not all there.
 */
export async function publishReport(
  sink: ReportSink,
  metrics: AccuracyMetrics,
): Promise<LatestReportPointer> {
  const metricsKey = `${REPORTS_PREFIX}${metrics.runId}/metrics.json`;
  const reportKey = `${REPORTS_PREFIX}${metrics.runId}/report.html`;
  await sink.put(metricsKey, JSON.stringify(metrics), 'application/json');
  await sink.put(reportKey, renderReport(metrics), 'text/html; charset=utf-8');
  const pointer: LatestReportPointer = {
    runId: metrics.runId,
    generatedAt: metrics.generatedAt,
    metricsKey,
    reportKey,
  };
  await sink.put(LATEST_REPORT_KEY, `${JSON.stringify(pointer, null, 2)}\n`, 'application/json');
  return pointer;
}

/** A new run's id: UTC time to the second and a random suffix, e.g. `20260301T101500Z-3f9a1c`. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}
