import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningLocalS3 } from '../../stack/local-s3.ts';
import { type ScratchS3, startScratchS3 } from '../support/scratch-s3.ts';

const BUCKET = 'pictor-access';
const ORIGIN = 'http://127.0.0.1:5173';

describe('the local S3 server is a private bucket, as S3 is', () => {
  let dir: string;
  let server: RunningLocalS3;
  let s3: S3Client;
  let scratch: ScratchS3;
  const objectUrl = (key: string) => `${server.endpoint}/${BUCKET}/${key}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-s3-access-'));
    scratch = await startScratchS3({ bucket: BUCKET, allowedOrigins: [ORIGIN], directory: dir });
    ({ server, s3 } = scratch);
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'reports/latest.json', Body: '{"runId":"real"}' }),
    );
  });
  afterAll(async () => {
    await scratch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['lists the bucket', 'GET', '', undefined],
    ['lists the buckets', 'GET', '..', undefined],
    ['reads an object', 'GET', 'reports/latest.json', undefined],
    ['heads an object', 'HEAD', 'reports/latest.json', undefined],
    ['writes an object', 'PUT', 'reports/latest.json', '{"runId":"forged"}'],
    ['deletes an object', 'DELETE', 'reports/latest.json', undefined],
  ])('refuses an anonymous request that %s with 403 AccessDenied', async (_what, method, key, body) => {
    const url = key === '..' ? `${server.endpoint}/` : objectUrl(key);
    const response = await fetch(url, { method, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(403);
    if (method !== 'HEAD') expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('still serves header-signed and presigned requests, and the object was never touched', async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/latest.json' }));
    expect(await object.Body?.transformToString()).toBe('{"runId":"real"}');
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/latest.json' }), {
      expiresIn: 60,
    });
    const presigned = await fetch(url);
    expect(presigned.status).toBe(200);
    expect(await presigned.text()).toBe('{"runId":"real"}');
  });

  it('answers the browser CORS preflight of a presigned PUT from the app origin', async () => {
    const response = await fetch(objectUrl('uploads/x'), {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,if-none-match,x-amz-meta-model',
      },
    });
    expect(response.status).toBe(200);
    // s3rver answers `*` where S3 echoes the origin; either lets the browser send the PUT.
    expect([ORIGIN, '*']).toContain(response.headers.get('access-control-allow-origin'));
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
  });
});
