import net from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../gateway/gateway.ts';
import { createS3Client, FAST_S3_TIMEOUTS } from '../../platform/s3-client.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload } from '../support/uploads.ts';

// An S3 that accepts connections and never answers: every call must end by itself, in seconds.
describe('S3 that accepts connections and never answers', () => {
  let silent: net.Server;
  let endpoint: string;
  let stack: TestStack;
  let gateway: RunningGateway;
  beforeAll(async () => {
    silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    stack = await startTestStack();
    gateway = await startGateway(
      { ...stack.gatewayConfig, port: 0, s3: { ...stack.gatewayConfig.s3, endpoint } },
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.dispose();
    silent?.close();
  });

  it('fails an S3 call with a timeout instead of hanging', async () => {
    const s3 = createS3Client({ ...stack.lambdaConfig.s3, endpoint }, FAST_S3_TIMEOUTS);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    s3.destroy();
  }, 30_000);

  it('answers a poll with "pending, not final" when the outcome cannot be looked up', async () => {
    const upload = await createUpload(gateway.url, { contentType: 'image/png', size: 100 });
    const response = await fetch(`${gateway.url}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'pending', final: false });
  }, 30_000);
});
