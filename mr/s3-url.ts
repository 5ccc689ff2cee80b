/** An `s3://bucket/key` address, split. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Bucket names as S3 allows them today (3–63 of a-z, 0-9, '.', '-'). */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/key…`; throws naming the value when it is not one. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match || !BUCKET_NAME.test(match[1] as string))
    throw new Error(`not an s3://bucket/key address: ${url}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
