import { createHash, randomBytes } from 'node:crypto';
import { encodeEventKey } from '../contracts/s3-keys.ts';

/** What the local S3 server knows about a created object. */
export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly eTag: string;
  readonly eventName:
    | 'ObjectCreated:Put'
    | 'ObjectCreated:Post'
    | 'ObjectCreated:Copy'
    | 'ObjectCreated:CompleteMultipartUpload';
  readonly sourceIp: string;
  readonly region: string;
  readonly configurationId: string;
  readonly eventTime: Date;
}

let lastSequencer = 0n;

/**
 * A sequencer as S3 writes it: upper-case hex that grows for later events on the same key
 * (compare as strings of equal length, as AWS documents).
 */
export function nextSequencer(now: bigint = process.hrtime.bigint()): string {
  lastSequencer = now > lastSequencer ? now : lastSequencer + 1n;
  return lastSequencer.toString(16).toUpperCase().padStart(18, '0');
}

/**
 * An S3 event notification record in AWS's exact shape (eventVersion 2.1), with the key
 * form-encoded the way S3 encodes it. The local S3 server's own record is not used: its key is raw
 * and its ARN malformed.
 */
export function toAwsEventRecord(object: CreatedObject) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: object.region,
    eventTime: object.eventTime.toISOString(),
    eventName: object.eventName,
    userIdentity: { principalId: 'AWS:AIDAJDPLRKLG7UEXAMPLE' },
    requestParameters: { sourceIPAddress: object.sourceIp },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': createHash('sha256').update(randomBytes(16)).digest('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: object.configurationId,
      bucket: {
        name: object.bucket,
        ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
        arn: `arn:aws:s3:::${object.bucket}`,
      },
      object: {
        key: encodeEventKey(object.key),
        size: object.size,
        eTag: object.eTag,
        sequencer: nextSequencer(),
      },
    },
  };
}

export type AwsS3EventRecord = ReturnType<typeof toAwsEventRecord>;
