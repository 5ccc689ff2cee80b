import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_SIGNATURE_HEADER, signResult } from '../../platform/result-signature.ts';
import { predictionResult as predictionFor } from '../support/results.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

describe('the gateway accepts results only from the Lambda', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const post = (body: string, signature?: string) =>
    fetch(`${stack.gatewayUrl}/internal/results`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { [RESULT_SIGNATURE_HEADER]: signature } : {}),
      },
      body,
    });

  it('rejects a forged result and pushes nothing', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 100 });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');

    const body = JSON.stringify(predictionFor(upload.uploadId, '9'));
    const forged = await post(
      body,
      await signResult(body, 'not-the-secret-but-long-enough-0123456789', Date.now() / 1000),
    );
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'signature_mismatch' });
    const unsigned = await post(body);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'signature_missing' });

    const poll = await fetch(`${stack.gatewayUrl}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
    });
    expect(poll.status).toBe(202);
    expect(socket.messages.filter(isPrediction)).toEqual([]);
    socket.close();
  });

  it('rejects a correctly signed result replayed after the tolerance', async () => {
    const body = JSON.stringify(predictionFor(randomUUID()));
    const old = await signResult(body, stack.gatewayConfig.resultSigningSecret, Date.now() / 1000 - 3600);
    const response = await post(body, old);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'signature_stale' });
  });

  it('rejects a signed body that is not a result, naming the field', async () => {
    const body = JSON.stringify({ type: 'prediction', prediction: { uploadId: randomUUID(), label: 7 } });
    const response = await post(
      body,
      await signResult(body, stack.gatewayConfig.resultSigningSecret, Date.now() / 1000),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'invalid_result',
      error: expect.stringContaining('prediction.'),
    });
  });

  it('delivers a signed result once, even when it is sent again', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 100 });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');

    const body = JSON.stringify(predictionFor(upload.uploadId));
    const sign = () => signResult(body, stack.gatewayConfig.resultSigningSecret, Date.now() / 1000);
    const first = await post(body, await sign());
    expect(await first.json()).toEqual({ outcome: 'stored', delivered: 1 });
    const again = await post(body, await sign());
    expect(await again.json()).toEqual({ outcome: 'duplicate', delivered: 0 });

    await socket.waitFor(isPrediction);
    // A second push, had the duplicate caused one, was sent before the answer to this round trip.
    await socket.roundTrip();
    expect(socket.messages.filter(isPrediction)).toHaveLength(1);
    socket.close();
  });

  it('answers a malformed WebSocket message with a rejection, keeping the connection', async () => {
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send('not json');
    expect(await socket.waitFor((m) => m.type === 'rejected')).toMatchObject({ code: 'invalid_json' });
    socket.send({ type: 'subscribe', uploadId: 'nope', token: 'x' });
    await socket.waitFor((m) => m.type === 'rejected' && m.code === 'invalid_message');
    socket.close();
  });
});
