import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound } from '@aws-sdk/client-s3';
import { type LabelRecord, labelRecordSchema } from '../../contracts/labels.ts';
import { LABELS_PREFIX, uploadKey } from '../../contracts/s3-keys.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import type { RunningLocalStack } from '../../stack/local-stack.ts';

/** Every label record the gateway wrote under `labels/`, one per JSON line, in key order. */
export async function readLabelRecords(stack: RunningLocalStack): Promise<LabelRecord[]> {
  const s3 = createS3Client(stack.gatewayConfig.s3);
  try {
    const records: LabelRecord[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: stack.gatewayConfig.bucket,
          Prefix: LABELS_PREFIX,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const body = await s3.send(
          new GetObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: object.Key }),
        );
        const text = (await body.Body?.transformToString()) ?? '';
        for (const line of text.split('\n').filter(Boolean))
          records.push(labelRecordSchema.parse(JSON.parse(line)));
      }
      token = page.NextContinuationToken;
    } while (token);
    return records;
  } finally {
    s3.destroy();
  }
}

/** The bytes and Content-Type of the uploaded image `uploads/<uploadId>`. */
export async function readUpload(
  stack: RunningLocalStack,
  uploadId: string,
): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  const s3 = createS3Client(stack.gatewayConfig.s3);
  try {
    const object = await s3.send(
      new GetObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: uploadKey(uploadId) }),
    );
    return {
      bytes: (await object.Body?.transformToByteArray()) ?? new Uint8Array(),
      contentType: object.ContentType,
    };
  } finally {
    s3.destroy();
  }
}

/** True when S3 holds the uploaded image `uploads/<uploadId>`. */
export async function uploadExists(stack: RunningLocalStack, uploadId: string): Promise<boolean> {
  const s3 = createS3Client(stack.gatewayConfig.s3);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: uploadKey(uploadId) }));
    return true;
  } catch (error) {
    if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
    throw error;
  } finally {
    s3.destroy();
  }
}
