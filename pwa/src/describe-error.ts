import { MAX_UPLOAD_BYTES } from '../../contracts/image-types.ts';
import {
  NetworkError,
  PredictionFailedError,
  SubscriptionRejectedError,
  UnusableFileError,
  UploadRejectedError,
  VerdictTimeoutError,
} from './errors.ts';
import { DeviceStageError } from './inference/device-classifier.ts';

/** What went wrong and what to do about it, in the user's words. */
export interface UserMessage {
  readonly text: string;
  /** The technical detail, for a bug report. */
  readonly detail: string;
}

const MAX_MB = Math.round(MAX_UPLOAD_BYTES / (1024 * 1024));
const NOT_AN_IMAGE = "This file isn't an image we can read. Try a JPEG or PNG photo.";
const TOO_LARGE = `This image is too large. Choose one under ${MAX_MB} MB, or take a new photo.`;
const NOTHING_FOUND =
  "We couldn't find anything to read in this image. Try again with the subject on a plain background, in good light.";

/** Turns any error from the classify flow into a plain message that says what to do. */
export function describeError(error: unknown): UserMessage {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { text: textFor(error), detail };
}

function textFor(error: unknown): string {
  if (error instanceof UnusableFileError) {
    if (error.reason === 'too-large') return TOO_LARGE;
    if (error.reason === 'empty') return 'This file is empty. Choose another photo.';
    return NOT_AN_IMAGE;
  }
  if (error instanceof DeviceStageError) {
    if (error.stage === 'preprocess' && error.code === 'NoForegroundError') return NOTHING_FOUND;
    if (error.stage === 'decode' || error.stage === 'preprocess') return NOT_AN_IMAGE;
    if (error.stage === 'encode')
      return 'This phone could not prepare the image for upload. Try another photo.';
    return 'This phone could not run the classifier. The server will answer when you are online.';
  }
  if (error instanceof PredictionFailedError) {
    switch (error.code) {
      case 'unsupported_image':
        return NOT_AN_IMAGE;
      case 'image_too_large':
        return TOO_LARGE;
      case 'unknown_model':
        return 'The classifier this app asked for is not available right now. Reload the page and try again.';
      case 'inference_failed':
        return 'The classifier is having trouble right now. Try again in a minute.';
    }
  }
  if (error instanceof NetworkError)
    return "We couldn't reach the server. Check your connection and try again.";
  if (error instanceof VerdictTimeoutError) {
    return 'The server is taking too long to answer. Check your connection and try again in a minute.';
  }
  if (error instanceof UploadRejectedError && error.status === 403) {
    return 'The upload link was refused (it may have expired). Try again.';
  }
  if (error instanceof SubscriptionRejectedError)
    return 'The server would not send us the result. Try again.';
  return 'Something went wrong on our side. Try again in a minute.';
}
