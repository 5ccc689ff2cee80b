import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AccuracyMetrics } from '../../contracts/metrics.ts';
import { LATEST_REPORT_KEY, type LatestReportPointer } from '../../contracts/reports.ts';
import { finalizeMetrics } from '../../mr/finalize.ts';
import { renderReport } from '../../mr/report-html.ts';
import { simulateJobs } from '../../mr/testing/simulate-jobs.ts';
import { syntheticLines } from '../../mr/testing/synthetic-records.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import type { RunningLocalStack } from '../../stack/local-stack.ts';

/**
 * A full report as the accuracy job makes it (its own reducers over synthetic records: three model
 * versions, ten classes each), plus one version nobody has labelled yet, for the empty states.
 */
export function realisticMetrics(runId: string): AccuracyMetrics {
  const metrics = finalizeMetrics(
    simulateJobs(syntheticLines({ uploads: 600, seed: 5, malformedEvery: 40 }), {
      mappers: 2,
      reducers: 2,
      seed: 1,
    }),
    { runId, generatedAt: new Date(), manifests: {} },
  );
  const first = metrics.models[0];
  if (!first) throw new Error('the synthetic records gave no model');
  return {
    ...metrics,
    models: [
      ...metrics.models,
      {
        ...first,
        version: '9',
        n: 0,
        correct: 0,
        accuracy: null,
        kappa: null,
        ece: null,
        device: { n: 0, agreement: null, accuracy: null, serverAccuracy: null },
        days: [],
      },
    ],
  };
}

/** Writes `metrics` and its report.html where the accuracy job would, `latest.json` last. */
export async function publishReport(stack: RunningLocalStack, metrics: AccuracyMetrics): Promise<void> {
  const s3 = createS3Client(stack.gatewayConfig.s3);
  const put = (Key: string, Body: string, ContentType: string) =>
    s3.send(new PutObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key, Body, ContentType }));
  try {
    const pointer: LatestReportPointer = {
      runId: metrics.runId,
      generatedAt: metrics.generatedAt,
      metricsKey: `reports/${metrics.runId}/metrics.json`,
      reportKey: `reports/${metrics.runId}/report.html`,
    };
    await put(pointer.metricsKey, JSON.stringify(metrics), 'application/json');
    await put(pointer.reportKey, renderReport(metrics), 'text/html; charset=utf-8');
    await put(LATEST_REPORT_KEY, JSON.stringify(pointer), 'application/json');
  } finally {
    s3.destroy();
  }
}
