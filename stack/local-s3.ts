import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
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
  storeWholeObjectsOnly(server.store);
  keepBucketSettingsInMemory(server.store);
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

/** The parts of s3rver's FilesystemStore that storeWholeObjectsOnly replaces or uses. */
export interface S3rverFilesystemStore {
  getBucket(bucket: string): Promise<unknown>;
  deleteBucket(bucket: string): Promise<unknown>;
  getSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  putSubresource(bucket: string, key: string | undefined, resource: { type: string }): Promise<unknown>;
  deleteSubresource(bucket: string, key: string | undefined, type: string): Promise<unknown>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putContent(file: string, content: unknown): Promise<[number, string]>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}

interface S3rverObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: unknown;
  readonly metadata: Record<string, string>;
}

/**
 * Keeps the bucket's existence and its bucket-level settings (CORS, website) in memory. s3rver reads
 * and parses them from disk on every request (a stat and two XML files): profiled under load
 * (`npm run bench:e2e -- --profile`), that was the largest part of the local server's own cost. They
 * only change through this store, which drops the cached value when they do.
 */
export function keepBucketSettingsInMemory(store: S3rverFilesystemStore): void {
  const buckets = new Map<string, Promise<unknown>>();
  const settings = new Map<string, Promise<unknown>>();
  const settingKey = (bucket: string, type: string) => `${bucket}\u0000${type}`;
  const { getBucket, deleteBucket, getSubresource, putSubresource, deleteSubresource } = store;
  store.getBucket = (bucket) => {
    const known = buckets.get(bucket);
    if (known) return known;
    const found = getBucket.call(store, bucket);
    // Only a bucket that exists is remembered: one created on disk later is still found.
    void found.then(
      (b) => b && buckets.set(bucket, found),
      () => {},
    );
    return found;
  };
  // Forgotten after the change on disk, so that no read that started before it is kept.
  const forget = (bucket: string, type?: string) => {
    if (type === undefined) buckets.delete(bucket);
    for (const id of settings.keys()) if (id.startsWith(settingKey(bucket, type ?? ''))) settings.delete(id);
  };
  store.deleteBucket = (bucket) => deleteBucket.call(store, bucket).finally(() => forget(bucket));
  store.getSubresource = (bucket, key, type) => {
    if (key !== undefined) return getSubresource.call(store, bucket, key, type);
    const id = settingKey(bucket, type);
    let setting = settings.get(id);
    if (!setting) {
      setting = getSubresource.call(store, bucket, key, type);
      settings.set(id, setting);
      setting.catch(() => settings.delete(id));
    }
    return setting;
  };
  store.putSubresource = (bucket, key, resource) =>
    putSubresource.call(store, bucket, key, resource).finally(() => forget(bucket, resource.type));
  store.deleteSubresource = (bucket, key, type) =>
    deleteSubresource.call(store, bucket, key, type).finally(() => forget(bucket, type));
}

/**
 * Makes the local server store an object whole or not at all, as S3 does. s3rver streams the body
 * straight into the object's file, so a client reset mid-PUT left a truncated object served with 200
 * (and an overwrite a 0-byte one). Here the body goes to a temporary file first; it becomes the object
 * (an atomic rename) only when it is complete and as long as its Content-Length said.
 */
export function storeWholeObjectsOnly(store: S3rverFilesystemStore): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    // Not ending in `._S3rver_object`, so listings never show it.
    const temp = `${objectPath}.${randomUUID()}.partial`;
    try {
      const [size, md5] = await store.putContent(temp, object.content);
      const declared = object.metadata['content-length'];
      if (declared !== undefined && Number(declared) !== size) {
        throw new Error(`incomplete body: ${size} of ${declared} bytes received; nothing stored`);
      }
      await store.putMetadata(object.bucket, object.key, object.metadata, md5);
      await rename(temp, objectPath);
      return { size, md5 };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  };
}
