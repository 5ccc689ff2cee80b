import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { HmacKeys } from '../contracts/hmac-keys.ts';
import { uploadKey } from '../contracts/s3-keys.ts';
import type { CreateUploadRequest, CreateUploadResponse } from '../contracts/uploads.ts';
import { issueUploadToken } from './upload-token.ts';

export interface PresignOptions {
  readonly bucket: string;
  readonly ttlSeconds: number;
  readonly defaultModel: string;
  readonly tokenSecret: string | HmacKeys;
  readonly now?: () => Date;
}

/**
 * A fresh upload: a random uploadId, its capability token, and a presigned PUT URL for
 * `uploads/<uploadId>` that binds the Content-Type, the exact Content-Length and the model
 * (as `x-amz-meta-model`), so S3 refuses any other body. `If-None-Match: *` is signed too: S3 creates
 * the object only if it does not exist, so the URL works once (a second PUT gets 412) and an upload
 * already classified cannot be replaced under its verdict.
 */
export async function createPresignedUpload(
  s3: S3Client,
  request: CreateUploadRequest,
  options: PresignOptions,
): Promise<CreateUploadResponse> {
  const uploadId = randomUUID();
  const model = request.model ?? options.defaultModel;
  const command = new PutObjectCommand({
    Bucket: options.bucket,
    Key: uploadKey(uploadId),
    ContentType: request.contentType,
    ContentLength: request.size,
    Metadata: { model },
    IfNoneMatch: '*',
  });
  const issuedAt = options.now?.() ?? new Date();
  const url = await getSignedUrl(s3, command, {
    expiresIn: options.ttlSeconds,
    signingDate: issuedAt,
    signableHeaders: new Set(['content-type', 'content-length', 'x-amz-meta-model', 'if-none-match']),
    // Kept a header (not hoisted into the query) so that it is signed like the others.
    unhoistableHeaders: new Set(['x-amz-meta-model']),
  });
  return {
    uploadId,
    url,
    // The browser sets these exactly; it may not set Content-Length itself (fetch derives it from the body).
    headers: { 'content-type': request.contentType, 'x-amz-meta-model': model, 'if-none-match': '*' },
    token: issueUploadToken(options.tokenSecret, uploadId),
    model,
    expiresAt: new Date(issuedAt.getTime() + options.ttlSeconds * 1000).toISOString(),
  };
}
