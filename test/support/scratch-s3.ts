import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../platform/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, type RunningLocalS3, startLocalS3 } from '../../stack/local-s3.ts';

/** A local S3 server on a free port and a client signed for it, for tests that need S3 and nothing else. */
export interface ScratchS3 {
  readonly server: RunningLocalS3;
  readonly s3: S3Client;
  /** Stops the client and the server (the folder stays: the test made it and removes it). */
  close(): Promise<void>;
}

/** Starts a private local S3 server over `directory`, on 127.0.0.1 and a free port. */
export async function startScratchS3(options: {
  readonly bucket: string;
  /** CORS origins allowed to PUT. */
  readonly allowedOrigins: readonly string[];
  readonly directory: string;
}): Promise<ScratchS3> {
  const server = await startLocalS3({
    port: 0,
    host: '127.0.0.1',
    directory: options.directory,
    bucket: options.bucket,
    allowedOrigins: [...options.allowedOrigins],
    region: 'us-east-1',
  });
  const s3 = createS3Client({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  return {
    server,
    s3,
    async close() {
      s3.destroy();
      await server.close();
    },
  };
}
