import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpuHostConfig } from '../../gpu-host/config.ts';
import { type RunningGpuHost, startGpuHost } from '../../gpu-host/gpu-host.ts';
import { mnistDigitImage } from '../support/images.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isError, isPrediction, TestSocket } from '../support/ws-client.ts';

describe('an inference host outage', () => {
  let host: RunningGpuHost;
  let proxy: TcpProxy;
  let stack: TestStack;
  beforeAll(async () => {
    // The Lambda reaches its host through a proxy that the test cuts and restores: the host stays up
    // and the port stays held, so the recovery does not race a restart or a port someone else takes.
    host = await startGpuHost(readGpuHostConfig({ GPU_HOST_PORT: '0', LOG_LEVEL: 'silent' }));
    proxy = await TcpProxy.start(host.port);
    stack = await startTestStack({ inferenceUrl: proxy.url, lambdaRetryDelaysMs: [100, 1_000] });
  });
  afterAll(async () => {
    await stack?.dispose();
    await proxy?.close();
    await host?.close();
  });

  it('tells the user the server is retrying, then delivers the verdict once the host is back', async () => {
    proxy.hangUp();

    const image = await mnistDigitImage(2, 3);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');
    await putToS3(upload, image);

    const error = await socket.waitFor(isError);
    expect(error).toMatchObject({ uploadId: upload.uploadId, code: 'inference_failed', final: false });
    expect(error.message).toMatch(/retrying/);

    // Back at once, before the last retry is due.
    proxy.reconnect();
    const verdict = await socket.waitFor(isPrediction, 20_000);
    expect(verdict).toMatchObject({ uploadId: upload.uploadId, label: '2' });

    const poll = await fetch(`${stack.gatewayUrl}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
    });
    expect(poll.status).toBe(200);
    socket.close();
  });
});
