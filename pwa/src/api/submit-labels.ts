import {
  type LabelOutcome,
  type LabelSubmission,
  submitLabelsResponseSchema,
} from '../../../contracts/labels.ts';
import { describeIssue } from '../../../contracts/zod-issues.ts';
import { ApiError, NetworkError } from '../errors.ts';
import { apiErrorFrom } from './api-error-body.ts';
import { API_TIMEOUT_MS, withTimeout } from './with-timeout.ts';

/**
 * `POST /api/labels`: sends a batch of true labels, each with its upload's token, and returns what
 * became of each (stored, duplicate — both mean done — or rejected for good).
 */
export async function submitLabels(labels: LabelSubmission[], signal?: AbortSignal): Promise<LabelOutcome[]> {
  let response: Response;
  try {
    response = await fetch('/api/labels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ labels }),
      signal: withTimeout(signal, API_TIMEOUT_MS),
      cache: 'no-store',
    });
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof DOMException && error.name === 'TimeoutError') throw error;
    throw new NetworkError('could not reach the server to send labels', { cause: error });
  }
  if (response.status !== 200) throw await apiErrorFrom(response);
  const parsed = submitLabelsResponseSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new ApiError(502, 'invalid_response', `labels answer: ${describeIssue(parsed.error, 'body')}`);
  }
  return parsed.data.results;
}
