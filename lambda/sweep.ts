import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  OUTCOMES_PREFIX,
  UPLOADS_PREFIX,
  uploadIdFromKey,
  uploadIdFromOutcomeKey,
} from '../contracts/s3-keys.ts';

/** An upload S3 accepted that has no recorded outcome. */
export interface UnfinishedUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly size: number;
  readonly eTag: string;
  readonly lastModified: Date;
}

/**
 * Lists the uploads stored at least `olderThanMs` ago that have no outcome record: events that were
 * lost (a crashed process, a dropped notification) or are still failing. Two listings, not one request
 * per upload.
 */
export async function findUnfinishedUploads(
  s3: S3Client,
  bucket: string,
  olderThanMs: number,
  now: Date = new Date(),
): Promise<UnfinishedUpload[]> {
  const [uploads, outcomes] = await Promise.all([
    listAll(s3, bucket, UPLOADS_PREFIX),
    listAll(s3, bucket, OUTCOMES_PREFIX),
  ]);
  const done = new Set(outcomes.map((o) => uploadIdFromOutcomeKey(o.key)));
  const unfinished: UnfinishedUpload[] = [];
  for (const upload of uploads) {
    const uploadId = uploadIdFromKey(upload.key);
    if (!uploadId || done.has(uploadId)) continue;
    if (now.getTime() - upload.lastModified.getTime() < olderThanMs) continue;
    unfinished.push({ ...upload, uploadId });
  }
  return unfinished;
}

async function listAll(s3: S3Client, bucket: string, prefix: string) {
  const objects: Array<{ key: string; size: number; eTag: string; lastModified: Date }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue;
      objects.push({
        key: o.Key,
        size: o.Size ?? 0,
        eTag: o.ETag ?? '',
        lastModified: o.LastModified ?? new Date(0),
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
