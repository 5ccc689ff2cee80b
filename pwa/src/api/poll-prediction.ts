import type { Prediction } from '../../../contracts/prediction.ts';
import { type PredictionStatus, predictionStatusSchema } from '../../../contracts/ws-messages.ts';
import { describeIssue } from '../../../contracts/zod-issues.ts';
import { ApiError, PredictionFailedError } from '../errors.ts';
import { sleep } from '../sleep.ts';
import { apiErrorFrom } from './api-error-body.ts';
import type { UploadTicket } from './upload-ticket.ts';
import { API_TIMEOUT_MS, withTimeout } from './with-timeout.ts';

/**
 * One `GET /api/predictions/<uploadId>`. Returns null when the answer is worth asking again for
 * (network failure, 5xx); throws ApiError when it is not (wrong token, unknown upload).
 */
export async function fetchPredictionStatus(
  ticket: UploadTicket,
  signal?: AbortSignal,
): Promise<PredictionStatus | null> {
  let response: Response;
  try {
    response = await fetch(`/api/predictions/${encodeURIComponent(ticket.uploadId)}`, {
      headers: { authorization: `Bearer ${ticket.token}` },
      cache: 'no-store',
      signal: withTimeout(signal, API_TIMEOUT_MS),
    });
  } catch {
    signal?.throwIfAborted();
    return null;
  }
  if (![200, 202, 422].includes(response.status)) {
    const error = await apiErrorFrom(response);
    if (error.transient) return null;
    throw error;
  }
  const parsed = predictionStatusSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new ApiError(502, 'invalid_response', `prediction status: ${describeIssue(parsed.error, 'body')}`);
  }
  return parsed.data;
}

export interface PollOptions {
  readonly signal?: AbortSignal;
  readonly intervalMs: number;
  /** The server reported a transient failure and is retrying; a verdict may still follow. */
  readonly onRetrying?: (message: string) => void;
}

/**
 * Asks for the verdict every `intervalMs` until there is one. Throws PredictionFailedError when the
 * server gave up on the upload; stops only through the signal otherwise.
 */
export async function pollPrediction(ticket: UploadTicket, options: PollOptions): Promise<Prediction> {
  for (;;) {
    const status = await fetchPredictionStatus(ticket, options.signal);
    if (status?.status === 'done') return status.prediction;
    if (status?.status === 'failed') {
      if (status.final) {
        throw new PredictionFailedError(status.error.code, status.error.message);
      }
      options.onRetrying?.(status.error.message);
    }
    await sleep(options.intervalMs, options.signal);
  }
}
