import { S3Client } from '@aws-sdk/client-s3';

/** Where and how to reach S3: AWS itself when `endpoint` is absent, the local S3 server otherwise. */
export interface S3Connection {
  readonly region: string;
  /** Set for an S3-compatible server (the local stack); absent in AWS. */
  readonly endpoint?: string | undefined;
  /** Static credentials for the local server; in AWS the SDK's default chain (the role) is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/** Time limits of every S3 call: no call may hang on a server that accepts and never answers. */
export interface S3Timeouts {
  /** Connecting (TCP, TLS). */
  readonly connectionTimeoutMs: number;
  /** One whole request and its response, each SDK try. */
  readonly requestTimeoutMs: number;
  /** SDK tries per call, the first included (the SDK backs off between them). */
  readonly maxAttempts: number;
}

/** Generous enough for the accuracy job's larger objects; services on the request path pass tighter ones. */
export const DEFAULT_S3_TIMEOUTS: S3Timeouts = Object.freeze({
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  maxAttempts: 3,
});

/** For small JSON objects on a request path (the gateway, the Lambda): a stuck S3 costs seconds. */
export const FAST_S3_TIMEOUTS: S3Timeouts = Object.freeze({
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 5_000,
  maxAttempts: 2,
});

/**
 * The one way this codebase builds an S3 client. Checksums only when an operation requires them:
 * otherwise presigned URLs carry the CRC of an empty body (real S3 rejects the upload) and streamed
 * puts are stored with their aws-chunked framing on S3-compatible servers. Every request has a
 * connection and a request timeout (the SDK's defaults have none).
 */
export function createS3Client(
  connection: S3Connection,
  timeouts: S3Timeouts = DEFAULT_S3_TIMEOUTS,
): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint, forcePathStyle: true } : {}),
    ...(connection.credentials ? { credentials: { ...connection.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: timeouts.maxAttempts,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}
