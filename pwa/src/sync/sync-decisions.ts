/**
 * The sync engine's decisions, as pure functions over an item: what to do next, and what an item
 * becomes after each outcome. No IndexedDB, no fetch: the engine (sync-engine.ts) does the I/O.
 */
import type { LabelOutcome, LabelSource, LabelSubmission } from '../../../contracts/labels.ts';
import type { CreateUploadResponse } from '../../../contracts/uploads.ts';
import { ApiError, NetworkError, UploadRejectedError } from '../errors.ts';
import type { ItemRecord, LabelRecordLocal, UploadState } from '../store/item-record.ts';

/** A presigned URL this close to expiry is not used: a slow PUT would outlive it. */
export const TICKET_SAFETY_MS = 30_000;
/**
 * Bounds on how long a presigned URL is taken to live, by the device's clock. A phone's clock may be
 * minutes off the server's: a fresh URL is always tried for a while, and S3's 403 says when it is not.
 */
export const MIN_TICKET_LIFETIME_MS = 90_000;
export const MAX_TICKET_LIFETIME_MS = 60 * 60_000;
/** After this many failed tries (not counting being offline), an upload is given up on. */
export const MAX_UPLOAD_ATTEMPTS = 6;

/** The next step for an item's upload. */
export type UploadStep =
  | { readonly kind: 'create-upload' }
  | { readonly kind: 'put'; readonly ticket: Extract<UploadState, { status: 'ticketed' }>['ticket'] }
  | { readonly kind: 'none' };

/** Which upload step an item needs now: a (new) presigned URL, the PUT, or nothing. */
export function nextUploadStep(item: ItemRecord, now: Date): UploadStep {
  const { upload } = item;
  switch (upload.status) {
    case 'waiting':
      return item.image ? { kind: 'create-upload' } : { kind: 'none' };
    case 'ticketed':
      if (!item.image) return { kind: 'none' };
      // Expired (or about to): ask for a new URL. The old uploadId is abandoned; no label used it yet.
      if (Date.parse(upload.ticket.validUntil) - TICKET_SAFETY_MS <= now.getTime()) {
        return { kind: 'create-upload' };
      }
      return { kind: 'put', ticket: upload.ticket };
    case 'uploaded':
    case 'failed':
      return { kind: 'none' };
  }
}

/** True while something of this item is still to be sent. */
export function needsSync(item: ItemRecord): boolean {
  if (item.upload.status === 'failed') return false;
  if (item.upload.status !== 'uploaded') return true;
  return item.label?.status === 'pending';
}

/** The item with its indexed `pending` flag matching `needsSync`. */
export function withPendingFlag(item: ItemRecord): ItemRecord {
  const pending = needsSync(item) ? 1 : 0;
  return item.pending === pending ? item : { ...item, pending };
}

/**
 * After `POST /api/uploads` answered at `now`: the new presigned URL replaces any old one. Its lifetime
 * (the server's `expiresAt` less our clock's now) is bounded, so a skewed clock neither discards it at
 * once nor keeps it for ever.
 */
export function withTicket(item: ItemRecord, response: CreateUploadResponse, now: Date): ItemRecord {
  const attempts =
    item.upload.status === 'waiting' || item.upload.status === 'ticketed' ? item.upload.attempts : 0;
  const lifetime = Math.min(
    MAX_TICKET_LIFETIME_MS,
    Math.max(MIN_TICKET_LIFETIME_MS, Date.parse(response.expiresAt) - now.getTime()),
  );
  return withPendingFlag({
    ...item,
    upload: {
      status: 'ticketed',
      attempts,
      ticket: {
        uploadId: response.uploadId,
        token: response.token,
        url: response.url,
        headers: response.headers,
        expiresAt: response.expiresAt,
        validUntil: new Date(now.getTime() + lifetime).toISOString(),
      },
    },
  });
}

/** After S3 accepted the PUT: the image bytes are no longer needed on the device. */
export function withUploaded(item: ItemRecord, now: Date): ItemRecord {
  if (item.upload.status !== 'ticketed') return item;
  const { image: _sent, ...rest } = item;
  return withPendingFlag({
    ...rest,
    upload: {
      status: 'uploaded',
      uploadId: item.upload.ticket.uploadId,
      token: item.upload.ticket.token,
      uploadedAt: now.toISOString(),
    },
  });
}

/** How a failed step is handled. */
export type FailureKind =
  /** No network (or it timed out): stop this run, try everything again when the network returns. */
  | 'offline'
  /** Worth retrying later (5xx, 429): this item waits, the run goes on. */
  | 'transient'
  /** The presigned URL was refused (expired, or S3 says no): ask for a new one. */
  | 'ticket-refused'
  /** Will never work (the gateway refused the request itself). */
  | 'permanent';

/** Sorts an error thrown by a transport call. */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof NetworkError) return 'offline';
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'offline';
  if (error instanceof UploadRejectedError) return error.transient ? 'transient' : 'ticket-refused';
  if (error instanceof ApiError) return error.transient ? 'transient' : 'permanent';
  return 'transient';
}

/**
 * After a failed upload step. Being offline changes nothing (it is not the item's fault); other
 * failures count towards MAX_UPLOAD_ATTEMPTS, and a refused URL is dropped so that a new one is asked for.
 */
export function withUploadFailure(item: ItemRecord, kind: FailureKind, message: string): ItemRecord {
  const { upload } = item;
  if (kind === 'offline' || (upload.status !== 'waiting' && upload.status !== 'ticketed')) return item;
  if (kind === 'permanent') {
    const code = 'upload_refused';
    return withPendingFlag({
      ...item,
      upload: { status: 'failed', code, message },
      ...(item.label?.status === 'pending'
        ? { label: { ...item.label, status: 'rejected', code, message: 'the image could not be uploaded' } }
        : {}),
    });
  }
  const attempts = upload.attempts + 1;
  if (attempts >= MAX_UPLOAD_ATTEMPTS) {
    return withUploadFailure(item, 'permanent', `gave up after ${attempts} tries: ${message}`);
  }
  if (kind === 'ticket-refused' || upload.status === 'waiting') {
    return withPendingFlag({ ...item, upload: { status: 'waiting', attempts, lastError: message } });
  }
  return withPendingFlag({ ...item, upload: { ...upload, attempts, lastError: message } });
}

/**
 * The user tapped `label`. A label not sent yet is changed in place (same labelId: it has not been
 * counted anywhere); a label already sent gets a new labelId (the accuracy job keeps the latest).
 */
export function withLabel(
  item: ItemRecord,
  label: string,
  now: Date,
  newLabelId: () => string,
  source: LabelSource = 'volunteered',
): ItemRecord {
  const current = item.label;
  if (
    current?.status === 'pending' &&
    current.label === label &&
    (current.source ?? 'volunteered') === source
  )
    return item;
  const next: LabelRecordLocal = {
    labelId: current?.status === 'pending' ? current.labelId : newLabelId(),
    label,
    labeledAt: now.toISOString(),
    source,
    status: item.upload.status === 'failed' ? 'rejected' : 'pending',
    ...(item.upload.status === 'failed'
      ? { code: 'upload_refused', message: 'the image could not be uploaded' }
      : {}),
  };
  return withPendingFlag({ ...item, label: next });
}

/** The label as `POST /api/labels` takes it, or null while there is nothing (yet) to send. */
export function labelSubmissionOf(item: ItemRecord): LabelSubmission | null {
  if (item.label?.status !== 'pending' || item.upload.status !== 'uploaded') return null;
  const { device } = item;
  return {
    labelId: item.label.labelId,
    uploadId: item.upload.uploadId,
    token: item.upload.token,
    label: item.label.label,
    labeledAt: item.label.labeledAt,
    source: item.label.source ?? 'volunteered',
    ...(device
      ? {
          device: {
            model: device.model,
            modelVersion: device.modelVersion,
            label: device.label,
            confidence: device.confidence,
          },
        }
      : {}),
  };
}

/** After the gateway answered for this item's label: stored or duplicate is done; rejected is final. */
export function withLabelOutcome(item: ItemRecord, outcome: LabelOutcome, now: Date): ItemRecord {
  if (!item.label || item.label.labelId !== outcome.labelId || item.label.status !== 'pending') return item;
  const label: LabelRecordLocal =
    outcome.status === 'rejected'
      ? { ...item.label, status: 'rejected', code: outcome.code, message: outcome.message }
      : { ...item.label, status: 'sent', sentAt: now.toISOString() };
  return withPendingFlag({ ...item, label });
}

/** Splits `items` into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
