import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelHistorySchema } from '../../contracts/model-history.ts';
import { publishReport, realisticMetrics } from '../../e2e/support/publish-report.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { putDecision, sampleDecision } from '../support/model-decisions.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

describe('GET /api/models/<model>/history', () => {
  let repository: string;
  let stack: TestStack;
  let s3: S3Client;

  beforeAll(async () => {
    repository = await mkdtemp(path.join(tmpdir(), 'pictor-repository-'));
    await cp('models', repository, { recursive: true });
    await writeFile(
      path.join(repository, 'digits', 'serving.json'),
      JSON.stringify({
        model: 'digits',
        defaultVersion: '1',
        changedAt: new Date().toISOString(),
        decisionId: randomUUID(),
      }),
    );
    stack = await startTestStack({ modelRepository: repository });
    s3 = createS3Client(stack.gatewayConfig.s3);
  });
  afterAll(async () => {
    s3?.destroy();
    await stack?.dispose();
    if (repository) await rm(repository, { recursive: true, force: true });
  });

  const history = async (model: string, query = '') => {
    const response = await fetch(`${stack.gatewayUrl}/api/models/${model}/history${query}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it('answers an empty history, with the default the host serves, before any decision or report', async () => {
    const { status, body } = await history('digits');
    expect(status).toBe(200);
    expect(modelHistorySchema.parse(body)).toEqual({
      model: 'digits',
      defaultVersion: '1',
      decisions: [],
      skipped: 0,
      truncated: false,
      accuracy: [],
      report: null,
    });
  });

  it('lists the decisions newest first, skips invalid records, and gives accuracy per version and day', async () => {
    const bucket = stack.gatewayConfig.bucket;
    const refused = sampleDecision('refused', '1', '2', 300);
    const promoted = sampleDecision('promoted', '1', '2', 200);
    const rolledBack = sampleDecision('rolled-back', '2', '1', 100);
    const otherModel = sampleDecision('promoted', '1', '2', 50, 'fashion');
    for (const d of [promoted, rolledBack, refused, otherModel]) await putDecision(s3, bucket, d);
    // Not a decision: a truncated record and one missing its checks.
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    await put('model-decisions/digits/2026-01-01T00:00:00.000Z-broken.json', '{"decisionId": "x"');
    const { checks: _checks, ...noChecks } = sampleDecision('promoted', '1', '2', 400);
    await put(
      `model-decisions/digits/2026-01-02T00:00:00.000Z-${noChecks.decisionId}.json`,
      JSON.stringify(noChecks),
    );
    const metrics = realisticMetrics('run-history');
    await publishReport(stack, metrics);

    const { status, body } = await history('digits');
    expect(status).toBe(200);
    const parsed = modelHistorySchema.parse(body);
    expect(parsed.decisions.map((d) => d.decisionId)).toEqual([
      rolledBack.decisionId,
      promoted.decisionId,
      refused.decisionId,
    ]);
    expect(parsed.decisions[1]).toEqual(promoted);
    expect(parsed.skipped).toBe(2);
    expect(parsed.report).toEqual({ runId: 'run-history', generatedAt: metrics.generatedAt });

    const expected = metrics.models
      .filter((m) => m.model === 'digits')
      .flatMap((m) =>
        m.days.map((d) => ({
          version: m.version,
          day: d.day,
          n: d.n,
          correct: d.correct,
          accuracy: d.accuracy,
        })),
      );
    expect(expected.length).toBeGreaterThan(1);
    expect(new Set(parsed.accuracy.map((a) => a.version))).toEqual(new Set(['1', '2']));
    expect(parsed.accuracy).toHaveLength(expected.length);
    expect(parsed.accuracy).toEqual(expect.arrayContaining(expected));
    const days = parsed.accuracy.map((a) => a.day);
    expect(days).toEqual([...days].sort());
  });

  it('bounds the list with ?limit and says that older ones exist', async () => {
    const { body } = await history('digits', '?limit=1');
    const parsed = modelHistorySchema.parse(body);
    expect(parsed.decisions).toHaveLength(1);
    expect(parsed.decisions[0]?.outcome).toBe('rolled-back');
    expect(parsed.truncated).toBe(true);
  });

  it('refuses a name that is not a model name, and a bad limit', async () => {
    expect((await history('..%2Fsecrets')).status).toBe(400);
    const bad = await history('digits', '?limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.stringMatching(/^limit: /) });
  });
});
