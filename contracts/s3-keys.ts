/**
 * The bucket's key scheme, in one place. Only `uploads/` triggers the Lambda; everything the
 * system writes goes elsewhere so that no write can trigger it again.
 */
export const UPLOADS_PREFIX = 'uploads/';
export const PREDICTIONS_PREFIX = 'predictions/';
export const LABELS_PREFIX = 'labels/';
export const REPORTS_PREFIX = 'reports/';
export const OUTCOMES_PREFIX = 'outcomes/';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True for a lower-case random (version 4) UUID, the only form of uploadId the gateway issues. */
export function isUploadId(value: string): boolean {
  return UUID_V4.test(value);
}

/** `uploads/<uploadId>`: where the browser puts the image. */
export function uploadKey(uploadId: string): string {
  return `${UPLOADS_PREFIX}${uploadId}`;
}

/** The uploadId of an `uploads/<uploadId>` key, or null for any other key. */
export function uploadIdFromKey(key: string): string | null {
  if (!key.startsWith(UPLOADS_PREFIX)) return null;
  const id = key.slice(UPLOADS_PREFIX.length);
  return isUploadId(id) ? id : null;
}

/** `YYYY-MM-DD` in UTC: the day partition of a record. */
export function dayPartition(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `predictions/dt=YYYY-MM-DD/<uploadId>.json`: the Lambda's record, input of the accuracy job. */
export function predictionKey(uploadId: string, predictedAt: Date): string {
  return `${PREDICTIONS_PREFIX}dt=${dayPartition(predictedAt)}/${uploadId}.json`;
}

/**
 * `outcomes/<uploadId>.json`: the upload's final outcome (a prediction or a final error), written
 * once, after the prediction record. Keyed by uploadId alone so the gateway and the sweep find it
 * without knowing the upload's date; its presence means "done".
 */
export function outcomeKey(uploadId: string): string {
  return `${OUTCOMES_PREFIX}${uploadId}.json`;
}

/** The uploadId of an `outcomes/<uploadId>.json` key, or null. */
export function uploadIdFromOutcomeKey(key: string): string | null {
  if (!key.startsWith(OUTCOMES_PREFIX) || !key.endsWith('.json')) return null;
  const id = key.slice(OUTCOMES_PREFIX.length, -'.json'.length);
  return isUploadId(id) ? id : null;
}

/** `labels/dt=YYYY-MM-DD/<batchId>.jsonl`: one batch of true labels from the gateway. */
export function labelsKey(batchId: string, receivedAt: Date): string {
  return `${LABELS_PREFIX}dt=${dayPartition(receivedAt)}/${batchId}.jsonl`;
}

// Characters Java's URLEncoder leaves alone, plus '/', which S3 event notifications keep as is.
const EVENT_KEY_SAFE = /[A-Za-z0-9.\-*_/]/;

/**
 * Encodes an object key the way S3 writes it into event notifications: form encoding
 * (space becomes `+`, `+` becomes `%2B`, UTF-8 bytes percent-encoded) with `/` kept.
 * @example encodeEventKey('uploads/red flower+1.jpg') === 'uploads/red+flower%2B1.jpg'
 */
export function encodeEventKey(key: string): string {
  let out = '';
  for (const char of key) {
    if (char === ' ') out += '+';
    else if (EVENT_KEY_SAFE.test(char)) out += char;
    else {
      for (const byte of new TextEncoder().encode(char)) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      }
    }
  }
  return out;
}

/**
 * Decodes `s3.object.key` from an S3 event record back to the real object key.
 * Throws a URIError on malformed percent escapes: such a record did not come from S3.
 * @example decodeEventKey('uploads/red+flower%2B1.jpg') === 'uploads/red flower+1.jpg'
 */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export const MODEL_DECISIONS_PREFIX = 'model-decisions/';

/** `model-decisions/<model>/<decidedAt>-<decisionId>.json`: sorts by time within a model. */
export function modelDecisionKey(model: string, decidedAt: Date, decisionId: string): string {
  return `${MODEL_DECISIONS_PREFIX}${model}/${decidedAt.toISOString()}-${decisionId}.json`;
}

/**
 * The model repository's copy in S3 (AWS): `models/<model>/<version>/{model.onnx,manifest.json}` and
 * `models/<model>/serving.json`, Triton's layout as on disk. Promotion and rollback write it; the
 * inference hosts sync from it (gpu-host/s3-repository-sync.ts); deploy/ seeds it with the committed
 * versions.
 */
export const MODEL_REPOSITORY_PREFIX = 'models/';
