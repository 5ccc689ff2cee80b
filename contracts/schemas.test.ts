import { describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES, sniffImageType } from './image-types.ts';
import { uploadResultSchema } from './results.ts';
import { createUploadRequestSchema } from './uploads.ts';
import { clientMessageSchema, predictionStatusSchema, serverMessageSchema } from './ws-messages.ts';

const ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

function firstIssue(result: {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
}) {
  const issue = result.error?.issues[0];
  return issue ? `${issue.path.join('.')}: ${issue.message}` : undefined;
}

describe('upload request schema', () => {
  it('accepts an image type within the size cap, the model optional', () => {
    expect(createUploadRequestSchema.parse({ contentType: 'image/jpeg', size: 1234 })).toEqual({
      contentType: 'image/jpeg',
      size: 1234,
    });
    expect(
      createUploadRequestSchema.parse({ contentType: 'image/png', size: 1, model: 'fashion' }).model,
    ).toBe('fashion');
  });

  it('names the field at fault', () => {
    expect(firstIssue(createUploadRequestSchema.safeParse({ contentType: 'text/plain', size: 10 }))).toMatch(
      /^contentType: contentType must be one of image\/png/,
    );
    expect(firstIssue(createUploadRequestSchema.safeParse({ contentType: 'image/png', size: 0 }))).toBe(
      'size: size must be positive',
    );
    expect(
      firstIssue(
        createUploadRequestSchema.safeParse({ contentType: 'image/png', size: MAX_UPLOAD_BYTES + 1 }),
      ),
    ).toBe(`size: size must be at most ${MAX_UPLOAD_BYTES} bytes`);
    expect(firstIssue(createUploadRequestSchema.safeParse({ contentType: 'image/png', size: 1.5 }))).toBe(
      'size: size must be a whole number of bytes',
    );
    expect(
      firstIssue(createUploadRequestSchema.safeParse({ contentType: 'image/png', size: 5, model: '../x' })),
    ).toMatch(/^model: /);
  });
});

describe('result schema', () => {
  const prediction = {
    uploadId: ID,
    model: 'digits',
    modelVersion: '1',
    label: '7',
    confidence: 0.98,
    topK: [{ label: '7', confidence: 0.98 }],
    predictedAt: '2024-01-01T00:00:00.000Z',
  };

  it('accepts a prediction and an error', () => {
    expect(uploadResultSchema.parse({ type: 'prediction', prediction }).type).toBe('prediction');
    expect(
      uploadResultSchema.parse({
        type: 'error',
        error: { uploadId: ID, code: 'unsupported_image', message: 'x', final: true },
      }).type,
    ).toBe('error');
  });

  it('refuses an error that does not say whether it is final', () => {
    expect(
      uploadResultSchema.safeParse({
        type: 'error',
        error: { uploadId: ID, code: 'inference_failed', message: 'x' },
      }).success,
    ).toBe(false);
  });

  it('rejects a confidence above 1, an unknown error code and a bad uploadId', () => {
    expect(
      uploadResultSchema.safeParse({ type: 'prediction', prediction: { ...prediction, confidence: 1.2 } })
        .success,
    ).toBe(false);
    expect(
      uploadResultSchema.safeParse({ type: 'error', error: { uploadId: ID, code: 'oops', message: 'x' } })
        .success,
    ).toBe(false);
    expect(
      uploadResultSchema.safeParse({
        type: 'prediction',
        prediction: { ...prediction, uploadId: 'uploads/../x' },
      }).success,
    ).toBe(false);
  });
});

describe('WebSocket messages', () => {
  it('parses a subscribe and refuses one without a token', () => {
    expect(clientMessageSchema.parse({ type: 'subscribe', uploadId: ID, token: 't' }).type).toBe('subscribe');
    expect(clientMessageSchema.safeParse({ type: 'subscribe', uploadId: ID }).success).toBe(false);
    expect(clientMessageSchema.safeParse({ type: 'publish', uploadId: ID }).success).toBe(false);
  });

  it('describes every message the gateway sends', () => {
    expect(serverMessageSchema.parse({ type: 'subscribed', uploadId: ID }).type).toBe('subscribed');
    expect(
      serverMessageSchema.parse({
        type: 'error',
        uploadId: ID,
        code: 'image_too_large',
        message: 'm',
        final: true,
      }).type,
    ).toBe('error');
  });

  it('says in every polling answer whether more will come', () => {
    expect(predictionStatusSchema.parse({ status: 'pending', final: false }).final).toBe(false);
    expect(predictionStatusSchema.safeParse({ status: 'pending' }).success).toBe(false);
    expect(
      predictionStatusSchema.parse({
        status: 'failed',
        final: false,
        error: { uploadId: ID, code: 'inference_failed', message: 'retrying', final: false },
      }).final,
    ).toBe(false);
  });
});

describe('image sniffing', () => {
  it.each([
    ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]],
    ['image/jpeg', [0xff, 0xd8, 0xff, 0xe0]],
    ['image/gif', [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]],
    ['image/webp', [0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50]],
  ])('recognises %s by its magic bytes', (type, bytes) => {
    expect(sniffImageType(Uint8Array.from(bytes))).toBe(type);
  });

  it('recognises nothing in text or a RIFF that is not WebP', () => {
    expect(sniffImageType(new TextEncoder().encode('hello, world'))).toBeNull();
    expect(
      sniffImageType(Uint8Array.from([0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45])),
    ).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
  });
});
