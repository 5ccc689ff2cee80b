import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Writes an object in one PUT with its Content-Length and Content-MD5: S3 stores the whole object or
 * refuses it, so a reader never sees half of one (the local server is held to the same, see
 * stack/local-s3.ts). `abortSignal` bounds a large body's transfer beyond the client's own timeouts.
 */
export async function putWholeObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
  contentType: string,
  abortSignal?: AbortSignal,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentMD5: createHash('md5').update(body).digest('base64'),
      ContentType: contentType,
    }),
    abortSignal ? { abortSignal } : {},
  );
}
