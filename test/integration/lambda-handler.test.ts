import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type LambdaLog } from '../../lambda/handler.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { toAwsEventRecord } from '../../stack/s3-event-record.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

const context = { awsRequestId: 'test-request', getRemainingTimeInMillis: () => 30_000 };
const quiet: LambdaLog = () => {};

describe('the Lambda handler', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  function eventFor(key: string, size = 1) {
    return {
      Records: [
        toAwsEventRecord({
          bucket: stack.gatewayConfig.bucket,
          key,
          size,
          eTag: 'abc',
          eventName: 'ObjectCreated:Put',
          sourceIp: '127.0.0.1',
          region: 'us-east-1',
          configurationId: 'test',
          eventTime: new Date(),
        }),
      ],
    };
  }

  async function predictionKeys(uploadId: string): Promise<string[]> {
    const s3 = createS3Client(stack.lambdaConfig.s3);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.gatewayConfig.bucket, Prefix: 'predictions/' }),
    );
    return (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.includes(uploadId));
  }

  it('handles a replayed event idempotently: the recorded outcome is delivered again, nothing rewritten, the verdict pushed once', async () => {
    const image = await mnistDigitImage(6, 0);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await putToS3(upload, image);
    await socket.waitFor(isPrediction);
    await stack.bridge.idle();
    const keysBefore = await predictionKeys(upload.uploadId);

    const handler = createHandler(stack.lambdaConfig, { log: quiet });
    const replay = await handler(eventFor(`uploads/${upload.uploadId}`, image.length), context);
    expect(replay.outcomes[0]).toMatchObject({ status: 'redelivered', type: 'prediction' });
    expect(await predictionKeys(upload.uploadId)).toEqual(keysBefore);

    await socket.roundTrip();
    expect(socket.messages.filter(isPrediction)).toHaveLength(1);
    socket.close();
  });

  it('skips keys outside uploads/ and writes nothing for them', async () => {
    const handler = createHandler(stack.lambdaConfig, { log: quiet });
    const result = await handler(eventFor('predictions/dt=2024-01-01/loop.json'), context);
    expect(result.outcomes).toEqual([
      { status: 'skipped', key: 'predictions/dt=2024-01-01/loop.json', reason: 'not under uploads/' },
    ]);
  });

  it('skips an upload that no longer exists', async () => {
    const handler = createHandler(stack.lambdaConfig, { log: quiet });
    const key = 'uploads/0b4c7a4e-2f7d-4c5e-9a1b-3c2d1e0f9a8b';
    expect((await handler(eventFor(key), context)).outcomes).toEqual([
      { status: 'skipped', key, reason: 'the object no longer exists' },
    ]);
  });

  it('logs and returns for an event that is not an S3 notification', async () => {
    const lines: string[] = [];
    const handler = createHandler(stack.lambdaConfig, { log: (_level, message) => lines.push(message) });
    expect(await handler({ Records: [{ eventSource: 'aws:sqs' }] }, context)).toEqual({ outcomes: [] });
    expect(lines).toEqual(['event is not an S3 notification']);
  });
});
