import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPresignedUpload } from '../../gateway/presign.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';

describe('presigned uploads are enforced by the S3 server', () => {
  let stack: TestStack;
  let image: Buffer;
  beforeAll(async () => {
    stack = await startTestStack();
    image = await mnistDigitImage(4, 0);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('accepts the exact upload that was signed', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    expect((await putToS3(upload, image)).status).toBe(200);
  });

  it('signs content-type, content-length and the model, and carries no checksum parameter', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const url = new URL(upload.url);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host', 'if-none-match', 'x-amz-meta-model']),
    );
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-checksum'))).toEqual(
      [],
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.pathname).toBe(`/${stack.gatewayConfig.bucket}/uploads/${upload.uploadId}`);
  });

  it('takes a presigned URL once: a second PUT is refused and the first image stays', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    expect(upload.headers).toMatchObject({ 'if-none-match': '*' });
    expect((await putToS3(upload, image)).status).toBe(200);
    const other = Buffer.from(image);
    other[other.length - 1] = (other[other.length - 1] ?? 0) ^ 0xff;
    const again = await putToS3(upload, other);
    expect(again.status).toBe(412);
    expect(await again.text()).toContain('PreconditionFailed');
    const s3 = createS3Client(stack.gatewayConfig.s3);
    try {
      const stored = await s3.send(
        new GetObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: `uploads/${upload.uploadId}` }),
      );
      expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? [])).toEqual(image);
    } finally {
      s3.destroy();
    }
  });

  it('refuses a PUT that leaves out the signed If-None-Match (it would overwrite)', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const { 'if-none-match': _dropped, ...withoutCondition } = upload.headers;
    const response = await putToS3(upload, image, withoutCondition);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('SignatureDoesNotMatch');
  });

  it('refuses a tampered signature', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const url = new URL(upload.url);
    const signature = url.searchParams.get('X-Amz-Signature') as string;
    url.searchParams.set(
      'X-Amz-Signature',
      `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`,
    );
    const response = await putToS3({ ...upload, url: url.toString() }, image);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('SignatureDoesNotMatch');
  });

  it('refuses a URL pointed at another key', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const moved = upload.url.replace(`/uploads/${upload.uploadId}`, '/predictions/forged.json');
    expect((await putToS3({ ...upload, url: moved }, image)).status).toBe(403);
  });

  it('refuses a Content-Type other than the signed one', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const response = await putToS3(upload, image, { ...upload.headers, 'content-type': 'text/html' });
    expect(response.status).toBe(403);
  });

  it('refuses a larger body than was signed', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const bigger = Buffer.concat([image, Buffer.alloc(1024, 1)]);
    expect((await putToS3(upload, bigger)).status).toBe(403);
  });

  it('refuses an upload without the signed model header', async () => {
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    expect((await putToS3(upload, image, { 'content-type': 'image/png' })).status).toBe(403);
  });

  it('refuses an expired URL', async () => {
    const s3 = createS3Client(stack.gatewayConfig.s3);
    const upload = await createPresignedUpload(
      s3,
      { contentType: 'image/png', size: image.length },
      {
        bucket: stack.gatewayConfig.bucket,
        ttlSeconds: 60,
        defaultModel: 'digits',
        tokenSecret: stack.gatewayConfig.uploadTokenSecret,
        now: () => new Date(Date.now() - 10 * 60_000),
      },
    );
    const response = await putToS3(upload, image);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('expired');
  });

  it('presigns only accepted image types within the size cap', async () => {
    const post = (body: unknown) =>
      fetch(`${stack.gatewayUrl}/api/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const wrongType = await post({ contentType: 'application/pdf', size: 100 });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({
      code: 'invalid_upload_request',
      error: expect.stringMatching(/^contentType/),
    });
    const tooBig = await post({ contentType: 'image/png', size: 50 * 1024 * 1024 });
    expect(tooBig.status).toBe(400);
    expect(await tooBig.json()).toMatchObject({ error: expect.stringMatching(/^size/) });
    const notJson = await fetch(`${stack.gatewayUrl}/api/uploads`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'invalid_json' });
  });

  it('gives every upload a fresh random id and token', async () => {
    const a = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 10 });
    const b = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 10 });
    expect(a.uploadId).not.toBe(b.uploadId);
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
  });
});
