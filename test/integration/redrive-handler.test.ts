import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpuHostConfig } from '../../gpu-host/config.ts';
import { type RunningGpuHost, startGpuHost } from '../../gpu-host/gpu-host.ts';
import { createRedriveHandler } from '../../lambda/redrive-handler.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

const context = { awsRequestId: 'redrive-test', getRemainingTimeInMillis: () => 60_000 };

describe('the scheduled re-drive (AWS: lambda/redrive-handler.ts)', () => {
  let stack: TestStack;
  let restarted: RunningGpuHost | undefined;
  beforeAll(async () => {
    // The stack's own redriver is slowed down so that only the scheduled function re-drives here.
    stack = await startTestStack({ redriveIntervalMs: 600_000 });
  });
  afterAll(async () => {
    await restarted?.close();
    await stack?.dispose();
  });

  it('finds an upload left without an outcome and delivers its verdict once; a second run finds nothing', async () => {
    const port = stack.gpuHost.port;
    await stack.gpuHost.close();
    const image = await mnistDigitImage(4, 1);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');
    await putToS3(upload, image);
    await stack.bridge.idle();
    expect(socket.messages.some(isPrediction)).toBe(false);

    restarted = await startGpuHost(
      readGpuHostConfig({ GPU_HOST_PORT: String(port), MODEL_REPOSITORY: 'models', LOG_LEVEL: 'silent' }),
    );
    const redrive = createRedriveHandler(stack.lambdaConfig, stack.gatewayConfig.bucket, 0, 4);
    expect(await redrive({}, context)).toMatchObject({ found: 1, finished: 1, failed: 0, deferred: 0 });
    expect(await socket.waitFor(isPrediction)).toMatchObject({ uploadId: upload.uploadId, label: '4' });
    expect(await redrive({}, context)).toMatchObject({ found: 0 });
    socket.close();
  });
});
