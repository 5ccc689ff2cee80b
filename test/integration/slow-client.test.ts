import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../gateway/config.ts';
import { type RunningGateway, startGateway } from '../../gateway/gateway.ts';
import { issueUploadToken } from '../../gateway/upload-token.ts';
import { RESULT_SIGNATURE_HEADER, signResult } from '../../platform/result-signature.ts';
import { predictionResult } from '../support/results.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

const SECRET = 'slow-client-test-secret-0123456789abcdef';

/** A client-to-server WebSocket text frame (masked, as clients must; a zero mask keeps the bytes). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('keep test frames short');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** A WebSocket client at the byte level, so that it can stop reading as a stalled phone would. */
async function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [head] = (await once(socket, 'data')) as [Buffer];
  expect(head.toString()).toMatch(/^HTTP\/1\.1 101/);
  return socket;
}

describe('a client that stops reading', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    const config: GatewayConfig = {
      port: 0,
      bind: '127.0.0.1',
      publicDir: '/nonexistent',
      s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
      bucket: 'test',
      uploadUrlTtlSeconds: 300,
      maxUploadBytes: 1024,
      defaultModel: 'digits',
      resultSigningSecret: SECRET,
      uploadTokenSecret: SECRET,
      resultTtlSeconds: 600,
      maxStoredResults: 1_000,
      maxStoredErrors: 10_000,
      inferenceUrl: undefined,
    };
    gateway = await startGateway(config, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('is cut off at the backpressure limit instead of buffered without bound, and gets its verdict on reconnect', async () => {
    const uploadId = randomUUID();
    const token = issueUploadToken(SECRET, uploadId);
    const stalled = await rawSocket(gateway.port);
    stalled.write(frame(JSON.stringify({ type: 'subscribe', uploadId, token })));
    stalled.pause();
    stalled.on('error', () => {}); // the server's reset is what we expect
    const sockets = async () =>
      ((await (await fetch(`${gateway.url}/api/health`)).json()) as { sockets: number }).sockets;
    expect(await sockets()).toBe(1);

    // Every unreadable message earns a 'rejected' reply the client never reads: the replies pile up.
    const batch = Buffer.concat(Array.from({ length: 10_000 }, () => frame('x')));
    let sent = 0;
    while ((await sockets()) > 0 && sent < 3_000_000 && !stalled.destroyed) {
      if (!stalled.write(batch)) await Promise.race([once(stalled, 'drain'), once(stalled, 'close')]);
      sent += 10_000;
    }
    expect(await sockets()).toBe(0);

    const body = JSON.stringify(predictionResult(uploadId, '5'));
    const posted = await fetch(`${gateway.url}/internal/results`, {
      method: 'POST',
      headers: { [RESULT_SIGNATURE_HEADER]: await signResult(body, SECRET, Date.now() / 1000) },
      body,
    });
    expect(await posted.json()).toEqual({ outcome: 'stored', delivered: 0 });

    const reconnected = await TestSocket.open(gateway.url);
    reconnected.send({ type: 'subscribe', uploadId, token });
    expect(await reconnected.waitFor(isPrediction)).toMatchObject({ uploadId, label: '5' });
    reconnected.close();
    stalled.destroy();
  });
});
