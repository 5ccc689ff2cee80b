import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LabelSubmission,
  labelRecordSchema,
  submitLabelsResponseSchema,
} from '../../contracts/labels.ts';
import { modelListSchema } from '../../contracts/models.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload } from '../support/uploads.ts';

describe('labels, reports and models at the gateway', () => {
  let stack: TestStack;
  let s3: S3Client;
  beforeAll(async () => {
    stack = await startTestStack();
    s3 = createS3Client(stack.gatewayConfig.s3);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const bucket = () => stack.gatewayConfig.bucket;
  const postLabels = (labels: unknown[]) =>
    fetch(`${stack.gatewayUrl}/api/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels }),
    });

  async function storedLabelLines(): Promise<unknown[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: 'labels/' }));
    const lines: unknown[] = [];
    for (const object of listed.Contents ?? []) {
      expect(object.Key).toMatch(/^labels\/dt=\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}\.jsonl$/);
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: object.Key }));
      const text = (await body.Body?.transformToString()) ?? '';
      for (const line of text.split('\n').filter(Boolean))
        lines.push(labelRecordSchema.parse(JSON.parse(line)));
    }
    return lines;
  }

  async function labelFor(label: string): Promise<LabelSubmission> {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 100 });
    return {
      labelId: randomUUID(),
      uploadId: upload.uploadId,
      token: upload.token,
      label,
      labeledAt: new Date().toISOString(),
      device: { model: 'digits', modelVersion: '1', label, confidence: 0.93 },
    };
  }

  it('stores each label once in S3, however often it is sent, with how it was obtained', async () => {
    const labels = await Promise.all(['3', '5', '8'].map(labelFor));
    // The app asked for this one; the others have no source, as from an app from before it asked.
    labels[2] = { ...(labels[2] as LabelSubmission), source: 'asked' };
    const first = submitLabelsResponseSchema.parse(await (await postLabels(labels)).json());
    expect(first.results.map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);

    const again = submitLabelsResponseSchema.parse(await (await postLabels(labels)).json());
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    // Two syncs racing each other, and a batch that repeats a label inside itself.
    const extra = await labelFor('1');
    const raced = await Promise.all([postLabels([extra, extra]), postLabels([extra])]);
    const statuses = (await Promise.all(raced.map((r) => r.json()))).flatMap((b) =>
      submitLabelsResponseSchema.parse(b).results.map((r) => r.status),
    );
    expect(statuses.filter((s) => s === 'stored')).toHaveLength(1);

    const lines = (await storedLabelLines()) as Array<{ labelId: string; label: string; device?: unknown }>;
    for (const label of [...labels, extra]) {
      const copies = lines.filter((l) => l.labelId === label.labelId);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({
        uploadId: label.uploadId,
        label: label.label,
        device: label.device,
        source: label.source ?? 'volunteered',
      });
      expect(copies[0]).not.toHaveProperty('token');
    }
  });

  it('rejects a label whose token belongs to another upload, and one dated in the future', async () => {
    const [a, b] = await Promise.all([labelFor('2'), labelFor('4')]);
    const stolen = { ...(a as LabelSubmission), token: (b as LabelSubmission).token };
    const future = { ...(b as LabelSubmission), labeledAt: new Date(Date.now() + 3_600_000).toISOString() };
    const body = submitLabelsResponseSchema.parse(await (await postLabels([stolen, future])).json());
    expect(body.results).toEqual([
      { labelId: stolen.labelId, status: 'rejected', code: 'wrong_token', message: expect.any(String) },
      { labelId: future.labelId, status: 'rejected', code: 'labeled_in_future', message: expect.any(String) },
    ]);
  });

  it('names the wrong field of a malformed batch', async () => {
    const response = await postLabels([{ labelId: 'x' }]);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'invalid_labels',
      error: expect.stringMatching(/^labels\.0\.labelId/),
    });
    expect((await postLabels([])).status).toBe(400);
  });

  it('says there is no report until the accuracy job has written one, then serves it', async () => {
    const missing = await fetch(`${stack.gatewayUrl}/api/reports/latest`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'no_report' });

    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket(), Key, Body }));
    await put(
      'reports/run-1/metrics.json',
      JSON.stringify({ models: [{ model: 'digits', accuracy: 0.97 }] }),
    );
    await put('reports/run-1/report.html', '<!doctype html><title>Accuracy</title><h1>Accuracy</h1>');
    await put(
      'reports/latest.json',
      JSON.stringify({
        runId: 'run-1',
        generatedAt: new Date().toISOString(),
        metricsKey: 'reports/run-1/metrics.json',
        reportKey: 'reports/run-1/report.html',
      }),
    );
    const latest = await fetch(`${stack.gatewayUrl}/api/reports/latest`);
    expect(latest.status).toBe(200);
    expect(await latest.json()).toMatchObject({ runId: 'run-1', metrics: { models: [{ accuracy: 0.97 }] } });
    const page = await fetch(`${stack.gatewayUrl}/api/reports/latest/report.html`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<h1>Accuracy</h1>');
  });

  it('lists the models the inference host serves, digits the default', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/models`);
    expect(response.status).toBe(200);
    const { models } = modelListSchema.parse(await response.json());
    expect(models.map((m) => m.name)).toEqual(['digits', 'fashion']);
    expect(models.find((m) => m.isDefault)?.name).toBe('digits');
    expect(models[1]?.labels).toContain('Ankle boot');
  });
});
