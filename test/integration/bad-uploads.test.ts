import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notAnImage, pngBomb, truncatedJpeg } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isError, TestSocket } from '../support/ws-client.ts';

describe('bad uploads get a clear error, never silence', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  async function uploadAndAwaitError(bytes: Buffer, contentType: string) {
    const upload = await createUpload(stack.gatewayUrl, { contentType, size: bytes.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
    await socket.waitFor((m) => m.type === 'subscribed');
    expect((await putToS3(upload, bytes)).status).toBe(200);
    const error = await socket.waitFor(isError);
    socket.close();
    expect(error.uploadId).toBe(upload.uploadId);
    return { error, upload };
  }

  it('turns a non-image upload into an unsupported_image error', async () => {
    const { error, upload } = await uploadAndAwaitError(notAnImage(), 'image/png');
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toMatch(/not a PNG, JPEG, WebP or GIF/);
    const poll = await fetch(`${stack.gatewayUrl}/api/predictions/${upload.uploadId}`, {
      headers: { authorization: `Bearer ${upload.token}` },
    });
    expect(poll.status).toBe(422);
    expect(await poll.json()).toMatchObject({
      status: 'failed',
      final: true,
      error: { code: 'unsupported_image', final: true },
    });
  });

  it('turns a truncated JPEG into an unsupported_image error', async () => {
    const { error } = await uploadAndAwaitError(await truncatedJpeg(), 'image/jpeg');
    expect(error.code).toBe('unsupported_image');
    expect(error.message).toMatch(/could not be decoded/);
  });

  it('refuses a decompression bomb as image_too_large without decoding it', async () => {
    const { error } = await uploadAndAwaitError(await pngBomb(), 'image/png');
    expect(error.code).toBe('image_too_large');
    expect(error.message).toMatch(/more than 24000000 pixels/);
  });

  it('turns a blank page (no digit) into an unsupported_image error', async () => {
    const sharp = (await import('sharp')).default;
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#f4f1ea' } })
      .png()
      .toBuffer();
    const { error } = await uploadAndAwaitError(blank, 'image/png');
    expect(error.code).toBe('unsupported_image');
  });
});
