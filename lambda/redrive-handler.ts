import { z } from 'zod';
import { encodeEventKey } from '../contracts/s3-keys.ts';
import { parseEnvironment } from '../platform/env-config.ts';
import { createS3Client, FAST_S3_TIMEOUTS } from '../platform/s3-client.ts';
import { type LambdaConfig, loadLambdaConfig } from './config.ts';
import { createProcessDeps, type LambdaContext, planBudget } from './handler.ts';
import { type ProcessDeps, processUploadRecord } from './process-upload.ts';
import type { S3EventRecord } from './s3-event.ts';
import { findUnfinishedUploads, type UnfinishedUpload } from './sweep.ts';

const envSchema = z.object({
  S3_BUCKET: z.string().min(3),
  SWEEP_AGE_SECONDS: z.coerce.number().positive().default(120),
  REDRIVE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
});

/** What one scheduled run did. */
export interface RedriveSummary {
  readonly found: number;
  readonly finished: number;
  readonly failed: number;
  /** Left for the next run: the time ran out first. */
  readonly deferred: number;
}

/**
 * The re-drive in AWS, run on a schedule (every minute; see deploy/): sweeps the bucket for uploads S3
 * accepted that have no outcome after SWEEP_AGE_SECONDS (lost events, an invocation that ended on the
 * dead-letter queue, a crash) and processes each with the same code as the S3-triggered handler. An
 * upload past GIVE_UP_AFTER_SECONDS ends with a final error there, so nothing is retried forever. The
 * dead-letter queue keeps the failed events for inspection; this sweep is what re-drives them, since
 * each is an upload without an outcome. Stops starting work when the invocation's time runs short.
 */
export function createRedriveHandler(
  config: LambdaConfig,
  bucket: string,
  sweepAgeMs: number,
  concurrency: number,
) {
  const deps: ProcessDeps = createProcessDeps(config);
  const s3 = createS3Client(config.s3, FAST_S3_TIMEOUTS);
  return async (_event: unknown, context: LambdaContext): Promise<RedriveSummary> => {
    const unfinished = await findUnfinishedUploads(s3, bucket, sweepAgeMs);
    const queue = [...unfinished];
    let finished = 0;
    let failed = 0;
    const worker = async () => {
      for (let upload = queue.shift(); upload; upload = queue.shift()) {
        // Keep time for a whole try of one upload (inference, recording, delivery).
        if (context.getRemainingTimeInMillis() < config.inferenceTimeoutMs + 10_000) {
          queue.unshift(upload);
          return;
        }
        try {
          await processUploadRecord(
            recordFor(bucket, config.s3.region, upload),
            deps,
            planBudget(context.getRemainingTimeInMillis()),
          );
          finished++;
        } catch (error) {
          failed++;
          console.error(
            JSON.stringify({
              level: 'error',
              message: 're-drive failed; next run tries again',
              key: upload.key,
              error: String(error),
            }),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const summary = { found: unfinished.length, finished, failed, deferred: queue.length };
    console.log(
      JSON.stringify({ level: 'info', message: 're-drive run', requestId: context.awsRequestId, ...summary }),
    );
    return summary;
  };
}

/** The S3 event record the upload's own notification carried, rebuilt from the listing. */
function recordFor(bucket: string, region: string, upload: UnfinishedUpload): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: upload.lastModified.toISOString(),
    eventName: 'ObjectCreated:Put',
    s3: {
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeEventKey(upload.key), size: upload.size, eTag: upload.eTag.replaceAll('"', '') },
    },
  };
}

let defaultHandler: Promise<ReturnType<typeof createRedriveHandler>> | undefined;

/** The scheduled function's entry: configuration (and the signing key) read on first use, then cached. */
export const handler = async (event: unknown, context: LambdaContext): Promise<RedriveSummary> => {
  defaultHandler ??= (async () => {
    const e = parseEnvironment(envSchema, process.env, 'redrive');
    return createRedriveHandler(
      await loadLambdaConfig(),
      e.S3_BUCKET,
      e.SWEEP_AGE_SECONDS * 1000,
      e.REDRIVE_CONCURRENCY,
    );
  })();
  // A failed start is not cached: the next scheduled run tries again.
  const ready = defaultHandler.catch((error: unknown) => {
    defaultHandler = undefined;
    throw error;
  });
  return (await ready)(event, context);
};
