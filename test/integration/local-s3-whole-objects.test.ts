import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScratchS3, startScratchS3 } from '../support/scratch-s3.ts';

const BUCKET = 'whole-objects';

/** Starts a signed PUT of `declared` bytes, sends only `sent` of them, then resets the connection. */
async function resetMidBody(s3: S3Client, key: string, declared: number, sent: number): Promise<void> {
  const url = new URL(
    await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentLength: declared }), {
      expiresIn: 60,
      signableHeaders: new Set(['content-length']),
    }),
  );
  await new Promise<void>((resolve) => {
    const request = http.request(url, { method: 'PUT', headers: { 'content-length': declared } });
    request.on('error', () => resolve());
    request.write(Buffer.alloc(sent, 7), () => {
      // Give the server the partial body, then cut the connection as a crash or a network reset would.
      setTimeout(() => {
        request.destroy();
        setTimeout(resolve, 200);
      }, 100);
    });
  });
}

describe('the local S3 stores an object whole or not at all, as S3 does', () => {
  let dir: string;
  let s3: S3Client;
  let scratch: ScratchS3;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-whole-'));
    scratch = await startScratchS3({ bucket: BUCKET, allowedOrigins: ['*'], directory: dir });
    ({ s3 } = scratch);
  });
  afterAll(async () => {
    await scratch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('does not store a body cut short by a reset: no object, nothing listed', async () => {
    await resetMidBody(s3, 'uploads/cut', 100_000, 10_000);
    await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/cut' }))).rejects.toMatchObject(
      {
        name: 'NoSuchKey',
      },
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'uploads/' }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('keeps the previous object whole when an overwrite is cut short (no 0-byte object)', async () => {
    const key = 'predictions/dt=2024-01-01/x.json';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"label":"7"}' }));
    await resetMidBody(s3, key, 50_000, 0);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await object.Body?.transformToString()).toBe('{"label":"7"}');
  });
});
