import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type AccuracyMetrics, accuracyMetricsSchema } from '../contracts/metrics.ts';
import { LATEST_REPORT_KEY, type LatestReportPointer } from '../contracts/reports.ts';
import { createS3Client } from '../platform/s3-client.ts';
import type { RunningLocalStack } from '../stack/local-stack.ts';
import { expect, test } from './stack-fixture.ts';

/** A small but complete metrics.json for digits v1 (validated against contracts/metrics.ts). */
function sampleMetrics(runId: string, generatedAt: string): AccuracyMetrics {
  const labels = ['1', '7'];
  const group = {
    n: 4,
    correct: 3,
    accuracy: 0.75,
    classes: [
      { label: '1', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { label: '7', precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
    ],
    macro: { precision: 5 / 6, recall: 0.75, f1: 11 / 15 },
    weighted: { precision: 5 / 6, recall: 0.75, f1: 11 / 15 },
    confusion: {
      labels,
      matrix: [
        [1, 1],
        [0, 2],
      ],
    },
    kappa: 0.5,
    ece: 0.2,
    calibration: { bins: [] },
    device: { n: 4, agreement: 1, accuracy: 0.75, serverAccuracy: 0.75 },
    coverage: {
      predictionsWithoutLabel: 0,
      duplicatePredictions: 0,
      duplicateLabels: 0,
      supersededLabels: 0,
    },
  };
  return accuracyMetricsSchema.parse({
    schemaVersion: 1,
    runId,
    generatedAt,
    coverage: {
      predictionRecords: 4,
      labelRecords: 4,
      predictionsWithoutLabel: 0,
      labelsWithoutPrediction: 0,
      duplicatePredictions: 0,
      duplicateLabels: 0,
      supersededLabels: 0,
      malformedLines: 0,
      malformedByReason: {},
    },
    models: [{ ...group, model: 'digits', version: '1', days: [] }],
  });
}

/** Writes a report where the accuracy job would, `latest.json` last. */
async function publishReport(stack: RunningLocalStack, runId: string): Promise<void> {
  const s3 = createS3Client(stack.gatewayConfig.s3);
  const put = (Key: string, Body: string, ContentType: string) =>
    s3.send(new PutObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key, Body, ContentType }));
  try {
    const generatedAt = new Date().toISOString();
    const pointer: LatestReportPointer = {
      runId,
      generatedAt,
      metricsKey: `reports/${runId}/metrics.json`,
      reportKey: `reports/${runId}/report.html`,
    };
    await put(pointer.metricsKey, JSON.stringify(sampleMetrics(runId, generatedAt)), 'application/json');
    await put(pointer.reportKey, '<!doctype html><title>report</title><h1>Accuracy report</h1>', 'text/html');
    await put(LATEST_REPORT_KEY, JSON.stringify(pointer), 'application/json');
  } finally {
    s3.destroy();
  }
}

test('the Accuracy page says plainly there is no report yet, then shows the latest one per model version', async ({
  page,
  stack,
}) => {
  await page.goto('/#/accuracy');
  await expect(page.getByRole('heading', { name: 'Accuracy' })).toBeVisible();
  await expect(page.getByTestId('accuracy')).toHaveAttribute('data-status', 'none');
  await expect(page.getByTestId('accuracy')).toContainText('No accuracy report yet');

  await publishReport(stack, 'e2e-run-1');
  await page.reload();

  await expect(page.getByTestId('accuracy')).toHaveAttribute('data-status', 'ready');
  const row = page.getByTestId('accuracy-table').getByRole('row', { name: /digits v1/ });
  await expect(row).toContainText('4');
  await expect(row).toContainText('75%');
  await expect(page.getByRole('link', { name: 'Open the full report' })).toHaveAttribute(
    'href',
    '/api/reports/latest/report.html',
  );
});
