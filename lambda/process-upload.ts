import type { Prediction } from '../contracts/prediction.ts';
import type { UploadResult } from '../contracts/results.ts';
import { decodeEventKey, predictionKey, UPLOADS_PREFIX, uploadIdFromKey } from '../contracts/s3-keys.ts';
import { TransientError } from '../platform/retry.ts';
import type { GatewayClient } from './gateway-client.ts';
import type { InferenceClient } from './inference-client.ts';
import type { S3EventRecord } from './s3-event.ts';
import type { UploadStore } from './upload-store.ts';

export interface ProcessDeps {
  readonly store: UploadStore;
  readonly inference: InferenceClient;
  readonly gateway: GatewayClient;
  readonly defaultModel: string;
  readonly maxImageBytes: number;
  readonly topK: number;
  readonly now: () => Date;
}

/** What became of one record. */
export type RecordOutcome =
  | {
      readonly status: 'predicted';
      readonly uploadId: string;
      readonly prediction: Prediction;
      readonly predictionKey: string;
    }
  | { readonly status: 'refused'; readonly uploadId: string; readonly code: string }
  | { readonly status: 'skipped'; readonly key: string; readonly reason: string };

/**
 * Classifies the upload a record names and delivers the outcome. Idempotent: a replayed record
 * rewrites the same prediction key (dated by the upload, not the replay) and the gateway delivers a
 * result once. Throws TransientError when a peer stayed unavailable, so the invocation is retried.
 */
export async function processUploadRecord(record: S3EventRecord, deps: ProcessDeps): Promise<RecordOutcome> {
  const bucket = record.s3.bucket.name;
  const key = decodeEventKey(record.s3.object.key);
  // Only uploads/ triggers us; anything else (a misconfigured notification) must not loop.
  if (!key.startsWith(UPLOADS_PREFIX)) return { status: 'skipped', key, reason: 'not under uploads/' };
  const uploadId = uploadIdFromKey(key);
  if (!uploadId) return { status: 'skipped', key, reason: 'not an upload key the gateway issued' };

  const upload = await deps.store.readUpload(bucket, key, deps.maxImageBytes);
  if (upload.kind === 'missing') return { status: 'skipped', key, reason: 'the object no longer exists' };
  if (upload.kind === 'too-large') {
    return refuse(
      deps,
      uploadId,
      'image_too_large',
      `the upload is ${upload.size} bytes; the limit is ${deps.maxImageBytes}`,
    );
  }

  const model = upload.model ?? deps.defaultModel;
  let outcome: Awaited<ReturnType<InferenceClient['classify']>>;
  try {
    outcome = await deps.inference.classify(model, upload.bytes, deps.topK);
  } catch (error) {
    if (error instanceof TransientError) {
      // Tell the user now; the retried invocation replaces this with the verdict when the host is back.
      await deps.gateway.postResult({
        type: 'error',
        error: { uploadId, code: 'inference_failed', message: 'the inference host is unavailable; retrying' },
      });
    }
    throw error;
  }
  if (!outcome.ok) return refuse(deps, uploadId, outcome.code, outcome.message);

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
  await deps.store.writeJson(bucket, recordKey, prediction);
  await deps.gateway.postResult({ type: 'prediction', prediction });
  return { status: 'predicted', uploadId, prediction, predictionKey: recordKey };
}

async function refuse(
  deps: ProcessDeps,
  uploadId: string,
  code: Extract<UploadResult, { type: 'error' }>['error']['code'],
  message: string,
): Promise<RecordOutcome> {
  await deps.gateway.postResult({ type: 'error', error: { uploadId, code, message } });
  return { status: 'refused', uploadId, code };
}
