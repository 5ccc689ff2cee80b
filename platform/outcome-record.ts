import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import { outcomeKey } from '../contracts/s3-keys.ts';
import { putWholeObject } from './put-whole-object.ts';

/** Writes a JSON object whole (putWholeObject): a reader never sees half of one. */
export async function putJsonObject(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
): Promise<void> {
  await putWholeObject(s3, bucket, key, Buffer.from(JSON.stringify(value), 'utf8'), 'application/json');
}

/**
 * The recorded final outcome of an upload (`outcomes/<uploadId>.json`), or undefined when there is
 * none. A record that does not parse counts as absent: processing the upload again rewrites it.
 * Network failures are thrown.
 */
export async function readOutcomeRecord(
  s3: S3Client,
  bucket: string,
  uploadId: string,
  signal?: AbortSignal,
): Promise<UploadResult | undefined> {
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: outcomeKey(uploadId) }), {
      abortSignal: signal,
    });
    text = (await object.Body?.transformToString()) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
  try {
    const parsed = uploadResultSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Records an upload's final outcome. */
export function writeOutcomeRecord(s3: S3Client, bucket: string, uploadId: string, result: UploadResult) {
  return putJsonObject(s3, bucket, outcomeKey(uploadId), result);
}
