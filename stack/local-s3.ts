import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import S3rver from '@20minutes/s3rver';
import type { CreatedObject } from './s3-event-record.ts';

/** The local server's fixed credentials (its built-in account); never used against AWS. */
export const LOCAL_S3_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

export interface LocalS3Options {
  readonly port: number;
  readonly host: string;
  /** Objects live here as plain files and survive restarts. */
  readonly directory: string;
  readonly bucket: string;
  /** Origins allowed to PUT through presigned URLs (the app's). */
  readonly allowedOrigins: readonly string[];
  readonly region: string;
}

export interface RunningLocalS3 {
  readonly endpoint: string;
  readonly port: number;
  /** Registers a listener for every object created in any bucket. */
  onObjectCreated(listener: (object: CreatedObject) => void): void;
  close(): Promise<void>;
}

/**
 * Starts the S3-compatible server (`@20minutes/s3rver`, patched; see patches/) on loopback with the
 * bucket and its CORS rules in place. It verifies SigV4 signatures, so presigned URLs are enforced.
 */
export async function startLocalS3(options: LocalS3Options): Promise<RunningLocalS3> {
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    port: options.port,
    address: options.host,
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [corsXml(options.allowedOrigins)] }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://${options.host}:${address.port}`,
    port: address.port,
    onObjectCreated(listener) {
      server.on('event', (event: S3rverEvent) => {
        for (const record of event.Records) {
          if (!record.eventName.startsWith('ObjectCreated:')) continue;
          listener({
            bucket: record.s3.bucket.name,
            key: record.s3.object.key,
            size: Number(record.s3.object.size ?? 0),
            eTag: record.s3.object.eTag ?? '',
            eventName: record.eventName as CreatedObject['eventName'],
            sourceIp: record.requestParameters.sourceIPAddress ?? '127.0.0.1',
            region: options.region,
            configurationId: 'uploads-to-classifier',
            eventTime: new Date(record.eventTime),
          });
        }
      });
    },
    async close() {
      await server.close();
    },
  };
}

/** The fields of s3rver's own (not AWS-shaped) event record that we read. */
interface S3rverEvent {
  Records: Array<{
    eventName: string;
    eventTime: string;
    requestParameters: { sourceIPAddress?: string };
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }>;
}

function corsXml(origins: readonly string[]): string {
  const allowed = origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join('');
  return `<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}
