import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpuHostConfig } from '../../gpu-host/config.ts';
import { type RunningGpuHost, startGpuHost } from '../../gpu-host/gpu-host.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isError, isPrediction, TestSocket } from '../support/ws-client.ts';

describe('an inference host outage', () => {
  let stack: TestStack;
  let restarted: RunningGpuHost | undefined;
  beforeAll(async () => {
    // The second retry comes late enough for the host to be back by then.
    stack = await startTestStack({ lambdaRetryDelaysMs: [100, 2_500] });
  });
  afterAll(async () => {
    await restarted?.close();
    await stack?.dispose();
  });

  it('tells the user the server is retrying, then delivers the verdict once the host is back', async () => {
    const port = stack.gpuHost.port;
    await stack.gpuHost.close();

    const image = await mnistDigitImage(2, 3);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');
    await putToS3(upload, image);

    const error = await socket.waitFor(isError);
    expect(error).toMatchObject({ uploadId: upload.uploadId, code: 'inference_failed', final: false });
    expect(error.message).toMatch(/retrying/);

    restarted = await startGpuHost(
      readGpuHostConfig({ GPU_HOST_PORT: String(port), MODEL_REPOSITORY: 'models', LOG_LEVEL: 'silent' }),
    );
    const verdict = await socket.waitFor(isPrediction, 20_000);
    expect(verdict).toMatchObject({ uploadId: upload.uploadId, label: '2' });

    const poll = await fetch(`${stack.gatewayUrl}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
    });
    expect(poll.status).toBe(200);
    socket.close();
  });
});
