import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalS3 } from './local-s3-endpoint.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-mr-s3-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port nothing listens on: bound, noted, released. */
async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the local S3 the job reads', () => {
  it('is served from the data folder here when nothing listens at the stack address', async () => {
    const session = await openLocalS3({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      bucket: 'pictor-local',
      region: 'us-east-1',
      dataDir: path.join(dir, 's3'),
      mayStart: true,
    });
    try {
      expect(session.started).toBe(true);
      const listed = await session.s3.send(new ListObjectsV2Command({ Bucket: 'pictor-local' }));
      expect(listed.KeyCount ?? 0).toBe(0);
    } finally {
      await session.close();
    }
  });

  it('is the running server when one answers', async () => {
    const listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    try {
      const session = await openLocalS3({
        endpoint: `http://127.0.0.1:${port}`,
        bucket: 'pictor-local',
        region: 'us-east-1',
        dataDir: path.join(dir, 'unused'),
        mayStart: true,
      });
      expect(session).toMatchObject({ started: false, endpoint: `http://127.0.0.1:${port}` });
      await session.close();
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});
