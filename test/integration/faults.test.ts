import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allKept, eventually, noneKept, sendUploads, waitAllFinal } from '../support/fault-run.ts';
import { ProcessStack } from '../support/process-stack.ts';
import type { TrackedUpload } from '../support/tracked-upload.ts';

// Each fault is injected into the system running as separate real processes (start:s3, start:gpu-host,
// start:gateway) with retry, re-drive and sweep intervals turned down to fractions of a second.
const FINAL_WITHIN_MS = 60_000;

/** Every upload ended in exactly one final outcome, and the gateway's polling answer agrees. */
async function expectExactlyOneFinalEach(uploads: readonly TrackedUpload[]) {
  const lost = await waitAllFinal(uploads, FINAL_WITHIN_MS);
  expect(lost.map((u) => u.uploadId)).toEqual([]);
  expect(uploads.filter((u) => u.duplicated).map((u) => u.finals)).toEqual([]);
  for (const u of uploads) {
    const { status, body } = await u.poll();
    expect(body.final).toBe(true);
    expect(status).toBe(u.final?.type === 'prediction' ? 200 : 422);
  }
}

describe('nothing lost, whatever fails', () => {
  let stack: ProcessStack;
  const open: TrackedUpload[] = [];

  beforeAll(async () => {
    stack = await ProcessStack.start();
  }, 120_000);
  afterEach(() => {
    for (const u of open.splice(0)) u.close();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const send = async (count: number) => {
    const uploads = await sendUploads(stack, count);
    open.push(...uploads);
    return uploads;
  };

  it('an inference host down past the retries: "retrying" first, then every verdict once it is back', async () => {
    await stack.stopPart('gpu-host');
    const uploads = await send(8);
    expect(uploads).toHaveLength(8);
    // Past the Lambda's retries: the events are kept on disk for re-drive.
    await eventually(() => allKept(stack, uploads), 30_000, 'all 8 events kept');
    expect(uploads.every((u) => !u.final)).toBe(true);
    expect(uploads.some((u) => u.transientErrors > 0)).toBe(true);

    await stack.startPart('gpu-host');
    await expectExactlyOneFinalEach(uploads);
    expect(uploads.every((u) => u.final?.type === 'prediction')).toBe(true);
    await eventually(() => noneKept(stack, uploads), 10_000, 'redrive queue drained');
  }, 120_000);

  it('an inference host that hangs: every upload still gets its verdict once it answers again', async () => {
    stack.freeze('gpu-host');
    const uploads = await send(5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    stack.thaw('gpu-host');
    await expectExactlyOneFinalEach(uploads);
    expect(uploads.every((u) => u.final?.type === 'prediction')).toBe(true);
  }, 120_000);

  it('a gateway killed mid-load and restarted: every upload ends, and a restarted gateway answers from S3', async () => {
    const uploads = await send(8);
    await stack.stopPart('gateway', 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await stack.startPart('gateway');
    await expectExactlyOneFinalEach(uploads);

    // Finished before this gateway started: it finds every outcome in S3.
    await stack.stopPart('gateway', 'SIGTERM');
    await stack.startPart('gateway');
    for (const u of uploads) {
      const { status, body } = await u.poll();
      expect({ status, final: body.final }).toEqual({ status: 200, final: true });
    }
  }, 120_000);

  it('S3 unreachable for a few seconds right after the uploads: the user hears "retrying", then every verdict', async () => {
    await stack.lambdaS3Proxy.block();
    const uploads = await send(8);
    await eventually(() => uploads.every((u) => u.transientErrors > 0), 15_000, 'every user told "retrying"');
    expect(uploads.every((u) => !u.final)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await stack.lambdaS3Proxy.unblock();
    await expectExactlyOneFinalEach(uploads);
    expect(uploads.every((u) => u.final?.type === 'prediction')).toBe(true);
  }, 120_000);

  it('the S3 + Lambda process killed -9 mid-load: uploads S3 accepted are swept up and finished after restart', async () => {
    const sending = sendUploads(stack, 10, { spreadMs: 2_000, retryPutForMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await stack.stopPart('s3', 'SIGKILL');
    await stack.startPart('s3');
    const uploads = await sending;
    open.push(...uploads);
    expect(uploads).toHaveLength(10);
    await expectExactlyOneFinalEach(uploads);
  }, 120_000);

  it('a result the gateway refuses (wrong secret) is kept and delivered once the gateway accepts it', async () => {
    await stack.stopPart('gateway');
    await stack.startPart('gateway', { RESULT_SIGNING_SECRET: 'a-wrong-secret-that-is-long-enough-0000' });
    const uploads = await send(5);
    await eventually(() => allKept(stack, uploads), 30_000, 'refused results kept');
    expect(uploads.every((u) => !u.final)).toBe(true);

    await stack.stopPart('gateway');
    await stack.startPart('gateway');
    await expectExactlyOneFinalEach(uploads);
    await eventually(() => noneKept(stack, uploads), 15_000, 'redrive queue drained');
  }, 120_000);

  it('replayed events deliver nothing twice', async () => {
    const uploads = await send(3);
    await expectExactlyOneFinalEach(uploads);
    // As a dead-letter queue holding a copy would: the same events kept again, three times over.
    for (const u of uploads) {
      const key = `uploads/${u.uploadId}`;
      const entry = {
        object: {
          bucket: 'pictor-local',
          key,
          size: 1,
          eTag: 'x',
          eventName: 'ObjectCreated:Put',
          sourceIp: '127.0.0.1',
          region: 'us-east-1',
          configurationId: 'uploads-to-classifier',
          eventTime: new Date().toISOString(),
        },
        keptAt: Date.now(),
        attempts: 0,
        notBefore: 0,
        lastError: 'replay',
      };
      for (let i = 0; i < 3; i++) {
        await writeFile(
          path.join(stack.dataDir, 'redrive', `${encodeURIComponent(key)}.json`),
          JSON.stringify(entry),
        );
        await eventually(() => noneKept(stack, [u]), 15_000, 'replay re-driven');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(uploads.map((u) => u.finals.length)).toEqual([1, 1, 1]);
  }, 120_000);
});
