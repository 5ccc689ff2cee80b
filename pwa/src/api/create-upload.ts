import {
  type CreateUploadRequest,
  type CreateUploadResponse,
  createUploadResponseSchema,
} from '../../../contracts/uploads.ts';
import { describeIssue } from '../../../contracts/zod-issues.ts';
import { ApiError, NetworkError } from '../errors.ts';
import { apiErrorFrom } from './api-error-body.ts';
import { API_TIMEOUT_MS, withTimeout } from './with-timeout.ts';

/**
 * Asks the gateway for a presigned upload (`POST /api/uploads`): where to PUT the image, the exact
 * headers to send, and the token to subscribe for its verdict.
 */
export async function createUpload(
  request: CreateUploadRequest,
  signal?: AbortSignal,
): Promise<CreateUploadResponse> {
  let response: Response;
  try {
    response = await fetch('/api/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: withTimeout(signal, API_TIMEOUT_MS),
    });
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof DOMException && error.name === 'TimeoutError') throw error;
    throw new NetworkError('could not reach the server to start the upload', { cause: error });
  }
  if (response.status !== 201) throw await apiErrorFrom(response);
  const parsed = createUploadResponseSchema.safeParse(await response.json());
  if (!parsed.success) {
    throw new ApiError(502, 'invalid_response', `upload answer: ${describeIssue(parsed.error, 'body')}`);
  }
  return parsed.data;
}
