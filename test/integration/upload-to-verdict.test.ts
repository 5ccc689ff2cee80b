import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictionSchema } from '../../contracts/prediction.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

describe('photo in, verdict pushed back', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('pushes the verdict of a presigned upload to the subscribed WebSocket', async () => {
    const image = await mnistDigitImage(3, 0);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');

    const put = await putToS3(upload, image);
    expect(put.status).toBe(200);

    const verdict = await socket.waitFor(isPrediction);
    expect(verdict).toMatchObject({
      uploadId: upload.uploadId,
      model: 'digits',
      modelVersion: '2',
      label: '3',
      outOfDistribution: false,
    });
    expect(verdict.confidence).toBeGreaterThan(0.5);
    expect(verdict.topK).toHaveLength(3);
    expect(verdict.topK[0]).toEqual({ label: '3', confidence: verdict.confidence });
    socket.close();
  });

  it('records the prediction in S3 under predictions/, dated, for the accuracy job', async () => {
    const image = await mnistDigitImage(8, 1, 'jpeg');
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/jpeg', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await putToS3(upload, image);
    const verdict = await socket.waitFor(isPrediction);
    await stack.bridge.idle();

    const s3 = createS3Client(stack.lambdaConfig.s3);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.gatewayConfig.bucket, Prefix: 'predictions/' }),
    );
    const key = listed.Contents?.map((o) => o.Key).find((k) => k?.endsWith(`/${upload.uploadId}.json`));
    expect(key).toMatch(new RegExp(`^predictions/dt=\\d{4}-\\d{2}-\\d{2}/${upload.uploadId}\\.json$`));
    const stored = await s3.send(new GetObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: key }));
    const record = predictionSchema.parse(JSON.parse((await stored.Body?.transformToString()) ?? ''));
    const { type: _type, ...pushed } = verdict;
    expect(record).toEqual(pushed);
    socket.close();
  });

  it('delivers on subscribe a verdict that arrived before the client subscribed', async () => {
    const image = await mnistDigitImage(1, 2, 'webp');
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/webp', size: image.length });
    await putToS3(upload, image);
    await stack.bridge.idle();

    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    const verdict = await socket.waitFor(isPrediction);
    expect(verdict).toMatchObject({ uploadId: upload.uploadId, label: '1' });
    socket.close();
  });

  it('answers the polling fallback: pending, then done', async () => {
    const image = await mnistDigitImage(0, 3, 'gif');
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/gif', size: image.length });
    const poll = () =>
      fetch(`${stack.gatewayUrl}/api/predictions/${upload.uploadId}`, {
        headers: { authorization: `Bearer ${upload.token}` },
      });
    const before = await poll();
    expect(before.status).toBe(202);
    expect(await before.json()).toEqual({ status: 'pending', final: false });

    await putToS3(upload, image);
    await stack.bridge.idle();
    const after = await poll();
    expect(after.status).toBe(200);
    const body = (await after.json()) as { status: string; prediction: { label: string } };
    expect(body.status).toBe('done');
    expect(body.prediction.label).toBe('0');
  });

  it("refuses to poll or subscribe with another upload's token", async () => {
    const image = await mnistDigitImage(2, 0);
    const mine = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const theirs = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const wrong = await fetch(`${stack.gatewayUrl}/api/predictions/${theirs.uploadId}`, {
      headers: { authorization: `Bearer ${mine.token}` },
    });
    expect(wrong.status).toBe(403);
    const missing = await fetch(`${stack.gatewayUrl}/api/predictions/${theirs.uploadId}`);
    expect(missing.status).toBe(401);

    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: theirs.uploadId, token: mine.token });
    const rejected = await socket.waitFor((m) => m.type === 'rejected');
    expect(rejected).toMatchObject({ code: 'wrong_token', uploadId: theirs.uploadId });
    socket.close();
  });

  it('uses the model the uploader chose, bound into the signed URL', async () => {
    const image = await mnistDigitImage(5, 0);
    const unknown = await fetch(`${stack.gatewayUrl}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/png', size: image.length, model: 'no-such-model' }),
    });
    // The gateway presigns any well-formed name; the host answers for the model, so the user learns it.
    const upload = (await unknown.json()) as Awaited<ReturnType<typeof createUpload>>;
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await putToS3(upload, image);
    const error = await socket.waitFor((m) => m.type === 'error');
    expect(error).toMatchObject({ uploadId: upload.uploadId, code: 'unknown_model' });
    socket.close();
  });
});
