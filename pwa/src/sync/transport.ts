import { createUpload } from '../api/create-upload.ts';
import { fetchPredictionStatus } from '../api/poll-prediction.ts';
import { submitLabels } from '../api/submit-labels.ts';
import type { SyncTransport } from './sync-engine.ts';

/**
 * The engine's network calls to our gateway, with the image PUT supplied by the caller: XHR with
 * progress in the page (upload-to-s3.ts), fetch in the service worker (put-object.ts).
 */
export function createTransport(putObject: SyncTransport['putObject']): SyncTransport {
  return {
    createUpload: (request, signal) => createUpload(request, signal),
    putObject,
    submitLabels: (labels, signal) => submitLabels(labels, signal),
    fetchPrediction: (ticket, signal) => fetchPredictionStatus(ticket, signal),
  };
}
