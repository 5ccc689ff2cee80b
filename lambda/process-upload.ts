import type { Prediction, PredictionErrorCode } from '../contracts/prediction.ts';
import type { UploadResult } from '../contracts/results.ts';
import { decodeEventKey, predictionKey, UPLOADS_PREFIX, uploadIdFromKey } from '../contracts/s3-keys.ts';
import { TransientError } from '../platform/retry.ts';
import type { GatewayClient } from './gateway-client.ts';
import type { InferenceClient, InferenceOutcome } from './inference-client.ts';
import type { S3EventRecord } from './s3-event.ts';
import type { UploadStore } from './upload-store.ts';

export interface ProcessDeps {
  readonly store: UploadStore;
  readonly inference: InferenceClient;
  readonly gateway: GatewayClient;
  readonly defaultModel: string;
  readonly maxImageBytes: number;
  readonly topK: number;
  /**
   * An upload still without a verdict this long after S3 accepted it gets a final `inference_failed`
   * error instead of another retry: every upload ends, and "retrying" is never forever.
   */
  readonly giveUpAfterMs: number;
  readonly now: () => Date;
}

/** Epoch milliseconds by which the work must be done; tries are planned from it. */
export interface TimeBudget {
  /** No new try of any network call starts after this. */
  readonly deadline?: number;
  /** Inference tries stop here, leaving the rest for recording and delivering the outcome. */
  readonly inferenceDeadline?: number;
}

/** What became of one record. */
export type RecordOutcome =
  | {
      readonly status: 'predicted';
      readonly uploadId: string;
      readonly prediction: Prediction;
      readonly predictionKey: string;
      readonly stages: StageTimes;
    }
  | {
      readonly status: 'refused';
      readonly uploadId: string;
      readonly code: string;
      readonly stages?: StageTimes;
    }
  | { readonly status: 'redelivered'; readonly uploadId: string; readonly type: UploadResult['type'] }
  | { readonly status: 'skipped'; readonly key: string; readonly reason: string };

/**
 * When each step of one record's processing ended (epoch ms), logged with the record so that a slow
 * verdict can be taken apart from production logs: the event's own time (S3's, when the object was
 * created), then the handler's start, the upload read, the verdict, the outcome recorded and delivered.
 * `bench/e2e.ts` reads them.
 */
export interface StageTimes {
  readonly eventAt: number;
  readonly startedAt: number;
  readonly readAt?: number;
  readonly inferredAt?: number;
  readonly recordedAt?: number;
  readonly deliveredAt?: number;
}

/**
 * Classifies the upload a record names, records the final outcome in S3 and delivers it. Idempotent:
 * an upload whose outcome is already recorded (a replay, a re-drive after a failed delivery) only has
 * that outcome delivered again, and the gateway delivers a result once. Throws when a peer stayed
 * unavailable (TransientError) or refused the result, so the event is retried, then kept for re-drive.
 */
export async function processUploadRecord(
  record: S3EventRecord,
  deps: ProcessDeps,
  budget: TimeBudget = {},
): Promise<RecordOutcome> {
  const bucket = record.s3.bucket.name;
  const key = decodeEventKey(record.s3.object.key);
  // Only uploads/ triggers us; anything else (a misconfigured notification) must not loop.
  if (!key.startsWith(UPLOADS_PREFIX)) return { status: 'skipped', key, reason: 'not under uploads/' };
  const uploadId = uploadIdFromKey(key);
  if (!uploadId) return { status: 'skipped', key, reason: 'not an upload key the gateway issued' };
  const stages: Mutable<StageTimes> = { eventAt: Date.parse(record.eventTime), startedAt: Date.now() };

  // Both reads at once: the outcome check is one round trip less on every verdict's path, and a
  // replay (the rare case) only wastes one small GET.
  const [recorded, upload] = await readOrTellUser(deps, uploadId, budget, () =>
    Promise.all([
      deps.store.readOutcome(bucket, uploadId),
      deps.store.readUpload(bucket, key, deps.maxImageBytes),
    ]),
  );
  if (recorded) {
    await deps.gateway.postResult(recorded, budget.deadline);
    return { status: 'redelivered', uploadId, type: recorded.type };
  }

  if (upload.kind === 'missing') return { status: 'skipped', key, reason: 'the object no longer exists' };
  stages.readAt = Date.now();
  if (upload.kind === 'too-large') {
    return refuse(
      deps,
      bucket,
      budget,
      uploadId,
      'image_too_large',
      `the upload is ${upload.size} bytes; the limit is ${deps.maxImageBytes}`,
    );
  }
  const model = upload.model ?? deps.defaultModel;
  let outcome: InferenceOutcome;
  try {
    outcome = await deps.inference.classify(
      model,
      upload.bytes,
      deps.topK,
      budget.inferenceDeadline ?? budget.deadline,
    );
  } catch (error) {
    if (!(error instanceof TransientError)) throw error;
    const waitedMs = deps.now().getTime() - upload.lastModified.getTime();
    if (waitedMs >= deps.giveUpAfterMs) {
      return refuse(
        deps,
        bucket,
        budget,
        uploadId,
        'inference_failed',
        `no verdict after ${Math.round(waitedMs / 1000)} s of retries: ${error.message}`,
      );
    }
    // Tell the user now; the retried or re-driven event replaces this with the final outcome.
    await tellRetrying(deps, uploadId, 'the inference host is unavailable; retrying', budget);
    throw error;
  }
  stages.inferredAt = Date.now();
  if (!outcome.ok) return refuse(deps, bucket, budget, uploadId, outcome.code, outcome.message, stages);
  const { classification } = outcome;
  const prediction: Prediction = {
    uploadId,
    model: classification.model,
    modelVersion: classification.modelVersion,
    label: classification.label,
    confidence: classification.confidence,
    topK: classification.topK,
    outOfDistribution: classification.outOfDistribution === true,
    predictedAt: deps.now().toISOString(),
  };
  const recordKey = predictionKey(uploadId, upload.lastModified);
  await finish(deps, bucket, budget, { type: 'prediction', prediction }, recordKey, stages);
  return { status: 'predicted', uploadId, prediction, predictionKey: recordKey, stages };
}

/**
 * Ends an upload with a final error: recorded and delivered like a verdict. The re-drive calls it too,
 * for an event it can no longer process.
 */
export async function refuse(
  deps: Pick<ProcessDeps, 'store' | 'gateway'>,
  bucket: string,
  budget: TimeBudget,
  uploadId: string,
  code: PredictionErrorCode,
  message: string,
  stages?: Mutable<StageTimes>,
): Promise<RecordOutcome> {
  const result: UploadResult = { type: 'error', error: { uploadId, code, message, final: true } };
  await finish(deps, bucket, budget, result, undefined, stages);
  return { status: 'refused', uploadId, code, ...(stages ? { stages } : {}) };
}

/**
 * Records the final outcome (the prediction record for the accuracy job, then the outcome record that
 * marks the upload done) and delivers it to the gateway at the same time: a verdict already computed
 * reaches the user even while recording it fails and must be retried. Throws the first failure of
 * either, so the event is tried again (a replay finds the recorded outcome and only delivers it).
 */
async function finish(
  deps: Pick<ProcessDeps, 'store' | 'gateway'>,
  bucket: string,
  budget: TimeBudget,
  result: UploadResult,
  recordKey?: string,
  stages?: Mutable<StageTimes>,
): Promise<void> {
  const recording = (async () => {
    if (recordKey && result.type === 'prediction')
      await deps.store.writeJson(bucket, recordKey, result.prediction);
    await deps.store.writeOutcome(bucket, result);
    if (stages) stages.recordedAt = Date.now();
  })();
  const delivering = deps.gateway.postResult(result, budget.deadline).then(() => {
    if (stages) stages.deliveredAt = Date.now();
  });
  const [recorded, delivered] = await Promise.allSettled([recording, delivering]);
  if (recorded.status === 'rejected') throw recorded.reason;
  if (delivered.status === 'rejected') throw delivered.reason;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Runs an S3 read; when S3 is unreachable the user hears that the system is retrying. */
async function readOrTellUser<T>(
  deps: ProcessDeps,
  uploadId: string,
  budget: TimeBudget,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    await tellRetrying(deps, uploadId, 'storage is unavailable; retrying', budget);
    throw error;
  }
}

/** A non-final error for the user; best effort, since the final outcome follows anyway. */
async function tellRetrying(deps: ProcessDeps, uploadId: string, message: string, budget: TimeBudget) {
  await deps.gateway
    .postResult(
      { type: 'error', error: { uploadId, code: 'inference_failed', message, final: false } },
      budget.deadline,
    )
    .catch(() => {});
}
