import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../platform/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, type RunningLocalS3, startLocalS3 } from '../../stack/local-s3.ts';

const BUCKET = 'pictor-access';
const ORIGIN = 'http://127.0.0.1:5173';

describe('the local S3 server is a private bucket, as S3 is', () => {
  let dir: string;
  let server: RunningLocalS3;
  let s3: S3Client;
  const objectUrl = (key: string) => `${server.endpoint}/${BUCKET}/${key}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-s3-access-'));
    server = await startLocalS3({
      port: 0,
      host: '127.0.0.1',
      directory: dir,
      bucket: BUCKET,
      allowedOrigins: [ORIGIN],
      region: 'us-east-1',
    });
    s3 = createS3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'reports/latest.json', Body: '{"runId":"real"}' }),
    );
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.close();
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
