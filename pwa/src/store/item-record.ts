import type { AcceptedImageType } from '../../../contracts/image-types.ts';
import type { LabelSource } from '../../../contracts/labels.ts';
import type { Prediction, PredictionErrorCode, ScoredLabel } from '../../../contracts/prediction.ts';

/** What the model on this device said, and how long it took. */
export interface DeviceVerdictRecord {
  readonly model: string;
  readonly modelVersion: string;
  readonly label: string;
  readonly confidence: number;
  readonly topK: readonly ScoredLabel[];
  /** Time spent in `session.run`, in the worker. */
  readonly inferenceMs: number;
}

/** A presigned upload the gateway handed out: where to PUT, the headers it signed, the capability token. */
export interface UploadTicketRecord {
  readonly uploadId: string;
  readonly token: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The server's expiry, by the server's clock. */
  readonly expiresAt: string;
  /** Until when this device uses the URL, by this device's clock (which may be wrong: see withTicket). */
  readonly validUntil: string;
}

/**
 * Where the image's upload stands. `waiting`: no presigned URL yet (e.g. chosen offline);
 * `ticketed`: URL in hand, PUT not confirmed (interrupted, or not tried yet); `uploaded`: S3 has it;
 * `failed`: the gateway refused it for good.
 */
export type UploadState =
  | { readonly status: 'waiting'; readonly attempts: number; readonly lastError?: string }
  | {
      readonly status: 'ticketed';
      readonly ticket: UploadTicketRecord;
      readonly attempts: number;
      readonly lastError?: string;
    }
  | {
      readonly status: 'uploaded';
      readonly uploadId: string;
      readonly token: string;
      readonly uploadedAt: string;
    }
  | { readonly status: 'failed'; readonly code: string; readonly message: string };

/**
 * The true label the user gave. `labelId` is made once, when they tap, and stored before anything is
 * sent, so that however often it is sent the gateway counts it once.
 */
export interface LabelRecordLocal {
  readonly labelId: string;
  readonly label: string;
  readonly labeledAt: string;
  /** Whether the app asked for this label (see label-prompt.ts); absent in records from before it asked. */
  readonly source?: LabelSource;
  readonly status: 'pending' | 'sent' | 'rejected';
  readonly code?: string;
  readonly message?: string;
  readonly sentAt?: string;
}

/** One image the user classified: everything History shows and everything still to send. */
export interface ItemRecord {
  /** Made on the device; not the uploadId (which the gateway issues, possibly later). */
  readonly id: string;
  readonly createdAt: string;
  /** The model the user chose. */
  readonly model: string;
  /** The bytes to upload (downscaled on the device); dropped once S3 has them. */
  readonly image?: Blob;
  readonly imageType: AcceptedImageType;
  /** A small JPEG for History. */
  readonly thumbnail: Blob;
  readonly device?: DeviceVerdictRecord;
  readonly upload: UploadState;
  readonly server?: Prediction;
  readonly serverError?: { readonly code: PredictionErrorCode; readonly message: string };
  readonly label?: LabelRecordLocal;
  /** 1 while an upload or a label is still to be sent (IndexedDB cannot index booleans). */
  readonly pending: 0 | 1;
}

/** The uploadId and token of an item's upload, once the gateway issued them. */
export function uploadTicketOf(item: ItemRecord): { uploadId: string; token: string } | null {
  if (item.upload.status === 'uploaded') return { uploadId: item.upload.uploadId, token: item.upload.token };
  if (item.upload.status === 'ticketed') return item.upload.ticket;
  return null;
}
