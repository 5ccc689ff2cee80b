import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { LABELS_PREFIX, PREDICTIONS_PREFIX } from '../../contracts/s3-keys.ts';

/** Objects fetched at once. */
const CONCURRENCY = 16;
/** Staged files roll over at this size, so that splits stay even. */
const CHUNK_BYTES = 8 * 1024 * 1024;

export interface StagingProgress {
  readonly objects: number;
  readonly bytes: number;
}

/**
 * Copies the bucket's `predictions/` and `labels/` objects into `dir` as a few large files under
 * `dir/predictions/` and `dir/labels/` (each object's text on its own lines), the way
 * CombineTextInputFormat packs small files into splits. The listing is paged and at most 16 objects are
 * in flight, so memory stays flat however many objects there are.
 */
export async function stageS3Input(
  s3: S3Client,
  bucket: string,
  dir: string,
  onProgress: (progress: StagingProgress) => void,
  signal: AbortSignal,
): Promise<StagingProgress> {
  let objects = 0;
  let bytes = 0;
  for (const prefix of [PREDICTIONS_PREFIX, LABELS_PREFIX]) {
    const target = path.join(dir, prefix.replace(/\/$/, ''));
    mkdirSync(target, { recursive: true });
    let chunk = 0;
    let fd = -1;
    let written = 0;
    const append = (body: Uint8Array) => {
      if (fd < 0 || written >= CHUNK_BYTES) {
        if (fd >= 0) closeSync(fd);
        fd = openSync(path.join(target, `chunk-${String(chunk++).padStart(5, '0')}.jsonl`), 'w');
        written = 0;
      }
      writeSync(fd, body);
      written += body.length;
      if (body.length > 0 && body[body.length - 1] !== 0x0a) {
        writeSync(fd, '\n');
        written += 1;
      }
    };
    try {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
          { abortSignal: signal },
        );
        const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
        let next = 0;
        const worker = async () => {
          while (next < keys.length) {
            const key = keys[next++] as string;
            const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
              abortSignal: signal,
            });
            const body = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
            append(body);
            objects += 1;
            bytes += body.length;
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        onProgress({ objects, bytes });
        token = page.NextContinuationToken;
      } while (token);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  return { objects, bytes };
}
