import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { resultUploadId, type UploadResult } from '../contracts/results.ts';
import { putJsonObject, readOutcomeRecord, writeOutcomeRecord } from '../platform/outcome-record.ts';

/** An upload as the handler sees it. */
export type StoredUpload =
  | {
      readonly kind: 'found';
      readonly bytes: Uint8Array;
      readonly model: string | undefined;
      readonly lastModified: Date;
    }
  | { readonly kind: 'too-large'; readonly size: number }
  | { readonly kind: 'missing' };

/** The handler's S3 reads and writes, behind an interface so the core stays pure of the SDK. */
export interface UploadStore {
  readUpload(bucket: string, key: string, maxBytes: number): Promise<StoredUpload>;
  /** The recorded final outcome of an upload, or undefined when there is none yet. */
  readOutcome(bucket: string, uploadId: string): Promise<UploadResult | undefined>;
  /** Records an upload's final outcome at `outcomes/<uploadId>.json`. */
  writeOutcome(bucket: string, result: UploadResult): Promise<void>;
  /** One whole-or-nothing PUT (platform/outcome-record.ts). */
  writeJson(bucket: string, key: string, value: unknown): Promise<void>;
}

/** UploadStore on the AWS SDK: one GetObject per upload, the body read only when small enough. */
export function createS3UploadStore(s3: S3Client): UploadStore {
  return {
    async readUpload(bucket, key, maxBytes) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const size = object.ContentLength ?? 0;
        if (size > maxBytes) {
          // Drop the stream unread: the image will not be classified.
          object.Body?.transformToWebStream()
            .cancel()
            .catch(() => {});
          return { kind: 'too-large', size };
        }
        const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
        return {
          kind: 'found',
          bytes,
          model: object.Metadata?.model,
          lastModified: object.LastModified ?? new Date(),
        };
      } catch (error) {
        if (error instanceof NoSuchKey) return { kind: 'missing' };
        throw error;
      }
    },
    readOutcome: (bucket, uploadId) => readOutcomeRecord(s3, bucket, uploadId),
    writeOutcome: (bucket, result) => writeOutcomeRecord(s3, bucket, resultUploadId(result), result),
    writeJson: (bucket, key, value) => putJsonObject(s3, bucket, key, value),
  };
}
