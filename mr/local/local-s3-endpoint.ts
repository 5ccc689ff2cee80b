import { connect } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../platform/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../stack/local-s3.ts';

export interface LocalS3Target {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  /** The local S3 data, served here if nothing answers at `endpoint` and `mayStart` is set. */
  readonly dataDir: string;
  readonly mayStart: boolean;
}

export interface LocalS3Session {
  readonly s3: S3Client;
  readonly endpoint: string;
  /** True when this process started the server (the stack was not running). */
  readonly started: boolean;
  close(): Promise<void>;
}

/** How long to wait for the stack's S3 server to accept a connection before starting one here. */
const PROBE_TIMEOUT_MS = 500;

/**
 * A client for the local stack's S3: the running stack's server when one answers, or else (for the
 * default address) the same server started here over the same data folder on a free port, so the job
 * works whether or not `npm start` is running.
 */
export async function openLocalS3(target: LocalS3Target): Promise<LocalS3Session> {
  const url = new URL(target.endpoint);
  const listening = await accepts(url.hostname, Number(url.port || 80));
  if (listening || !target.mayStart) {
    return {
      s3: createS3Client({
        region: target.region,
        endpoint: target.endpoint,
        credentials: LOCAL_S3_CREDENTIALS,
      }),
      endpoint: target.endpoint,
      started: false,
      close: async () => {},
    };
  }
  const server = await startLocalS3({
    port: 0,
    host: '127.0.0.1',
    directory: target.dataDir,
    bucket: target.bucket,
    // The stack's app origins (stack/local-stack.ts), so the app can still upload while this serves.
    allowedOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
    region: target.region,
  });
  const s3 = createS3Client({
    region: target.region,
    endpoint: server.endpoint,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  return {
    s3,
    endpoint: server.endpoint,
    started: true,
    async close() {
      s3.destroy();
      await server.close();
    },
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
