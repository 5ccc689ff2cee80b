import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningLocalS3 } from '../../stack/local-s3.ts';
import { type ScratchS3, startScratchS3 } from '../support/scratch-s3.ts';

const BUCKET = 'pictor-settings';
const FIRST = 'http://127.0.0.1:5173';
const SECOND = 'http://127.0.0.1:6006';

// The local S3 keeps bucket settings in memory (keepBucketSettingsInMemory): a change must still count.
describe('the local S3 server with bucket settings kept in memory', () => {
  let dir: string;
  let server: RunningLocalS3;
  let s3: S3Client;
  let scratch: ScratchS3;
  const preflight = async (origin: string) => {
    const response = await fetch(`${server.endpoint}/${BUCKET}/uploads/x`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT' },
    });
    await response.body?.cancel();
    // s3rver answers `*` for an allowed origin; an origin no rule allows gets 403.
    return response.status;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-s3-settings-'));
    scratch = await startScratchS3({ bucket: BUCKET, allowedOrigins: [FIRST], directory: dir });
    ({ server, s3 } = scratch);
  });
  afterAll(async () => {
    await scratch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers CORS preflights from the configured rules, asked again and again', async () => {
    for (let i = 0; i < 3; i++) expect(await preflight(FIRST)).toBe(200);
    expect(await preflight(SECOND)).toBe(403);
  });

  it('applies a CORS change to the very next request', async () => {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: BUCKET,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: [SECOND], AllowedMethods: ['PUT'] }] },
      }),
    );
    expect(await preflight(SECOND)).toBe(200);
    expect(await preflight(FIRST)).toBe(403);
  });
});
