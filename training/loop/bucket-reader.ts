import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';

/**
 * Keys under `prefix`, every page. The client carries the timeouts (platform/s3-client.ts); a listing
 * that does not finish within `timeoutMs` in all is aborted.
 */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  timeoutMs = 120_000,
): Promise<string[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The object's bytes, or undefined when there is none; aborted after `timeoutMs`. */
export async function readObject(
  s3: S3Client,
  bucket: string,
  key: string,
  timeoutMs = 30_000,
): Promise<Uint8Array | undefined> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** Runs `work` over `items`, `limit` at a time, results in order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T);
      }
    }),
  );
  return out;
}
