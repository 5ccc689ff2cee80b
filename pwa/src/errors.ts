import type { PredictionErrorCode } from '../../contracts/prediction.ts';

/** The chosen file is not something we can classify (not an image, empty, or too big). */
export class UnusableFileError extends Error {
  override readonly name = 'UnusableFileError';
  constructor(
    readonly reason: 'not-an-image' | 'empty' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

/** The gateway answered an API call with an error status or a body we could not understand. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** 5xx and 429 may pass; 4xx will not. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** The network request never got an answer (offline, DNS, connection reset). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** S3 refused the upload; a 403 means the bytes, type or size did not match the signed URL. */
export class UploadRejectedError extends Error {
  override readonly name = 'UploadRejectedError';
  constructor(readonly status: number) {
    super(`the storage service refused the upload (HTTP ${status})`);
  }

  get transient(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}

/** The server finished with the upload and has no verdict for it. */
export class PredictionFailedError extends Error {
  override readonly name = 'PredictionFailedError';
  constructor(
    readonly code: PredictionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway refused our subscription (e.g. a token that does not belong to the upload). */
export class SubscriptionRejectedError extends Error {
  override readonly name = 'SubscriptionRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No verdict arrived in the time we are willing to wait. */
export class VerdictTimeoutError extends Error {
  override readonly name = 'VerdictTimeoutError';
  constructor(readonly waitedMs: number) {
    super(`no verdict after ${Math.round(waitedMs / 1000)} s`);
  }
}
