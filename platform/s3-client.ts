import { S3Client } from '@aws-sdk/client-s3';

/** Where and how to reach S3: AWS itself when `endpoint` is absent, the local S3 server otherwise. */
export interface S3Connection {
  readonly region: string;
  /** Set for an S3-compatible server (the local stack); absent in AWS. */
  readonly endpoint?: string | undefined;
  /** Static credentials for the local server; in AWS the SDK's default chain (the role) is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/**
 * The one way this codebase builds an S3 client. Checksums only when an operation requires them:
 * otherwise presigned URLs carry the CRC of an empty body (real S3 rejects the upload) and streamed
 * puts are stored with their aws-chunked framing on S3-compatible servers.
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint, forcePathStyle: true } : {}),
    ...(connection.credentials ? { credentials: { ...connection.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
