import { isUploadId } from '../contracts/s3-keys.ts';
import { createUploadRequestSchema } from '../contracts/uploads.ts';
import type { PredictionStatus } from '../contracts/ws-messages.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange, headersOf } from '../platform/http-exchange.ts';
import { parseJsonBody, readBody } from '../platform/read-body.ts';
import { clientAddress } from './client-address.ts';
import { ClientRateLimit, DEFAULT_PRESIGN_RATE_LIMIT } from './client-rate-limit.ts';
import type { GatewayContext } from './gateway-context.ts';
import { createPresignedUpload } from './presign.ts';
import { verifyUploadToken } from './upload-token.ts';

const MAX_BODY_BYTES = 16 * 1024;

/** `POST /api/uploads` (presign) and `GET /api/predictions/:uploadId` (the polling fallback). */
export function registerUploadRoutes({ app, config, s3, outcomes, onUnexpected }: GatewayContext): void {
  const presignLimit = new ClientRateLimit(config.presignRateLimit ?? DEFAULT_PRESIGN_RATE_LIMIT);
  const trustedProxyHops = config.trustedProxyHops ?? 0;
  app.post('/api/uploads', (res, req) => {
    const guard = new HttpExchange(res);
    const headers = headersOf(req, ['content-length']);
    // Each presign lets its holder put one image through the classifier: a flood is refused per client.
    const decision = presignLimit.take(clientAddress(res, req, trustedProxyHops));
    if (!decision.allowed) {
      // The body is not read: uWS drops it with the response.
      guard.json(
        429,
        {
          error: `too many uploads from this address; try again in ${decision.retryAfterSeconds} s`,
          code: 'rate_limited',
        },
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
      return;
    }
    void (async () => {
      const body = parseJsonBody(await readBody(guard, MAX_BODY_BYTES, headers['content-length'] ?? ''));
      const parsed = createUploadRequestSchema.safeParse(body);
      if (!parsed.success) {
        throw new HttpError(400, 'invalid_upload_request', describeIssue(parsed.error, 'body'));
      }
      if (parsed.data.size > config.maxUploadBytes) {
        throw new HttpError(
          400,
          'invalid_upload_request',
          `size: size must be at most ${config.maxUploadBytes} bytes`,
        );
      }
      const upload = await createPresignedUpload(s3, parsed.data, {
        bucket: config.bucket,
        ttlSeconds: config.uploadUrlTtlSeconds,
        defaultModel: config.defaultModel,
        tokenSecret: config.uploadTokenSecret,
      });
      guard.json(201, upload);
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/predictions/:uploadId', (res, req) => {
    const uploadId = req.getParameter(0);
    const token = /^Bearer (.+)$/.exec(req.getHeader('authorization'))?.[1] ?? '';
    const guard = new HttpExchange(res);
    void (async () => {
      if (!isUploadId(uploadId)) throw new HttpError(404, 'unknown_upload', 'no such upload');
      if (!token)
        throw new HttpError(
          401,
          'token_required',
          'send the upload token as `Authorization: Bearer <token>`',
        );
      if (!verifyUploadToken(config.uploadTokenSecret, uploadId, token)) {
        throw new HttpError(403, 'wrong_token', 'the token does not belong to this upload');
      }
      // The relay's cache first (any gateway's results, with Redis), then the S3 outcome record.
      const result = await outcomes.find(uploadId);
      let status: PredictionStatus;
      if (!result) status = { status: 'pending', final: false };
      else if (result.type === 'prediction') {
        status = { status: 'done', final: true, prediction: result.prediction };
      } else status = { status: 'failed', final: result.error.final, error: result.error };
      // A non-final error is still pending as far as HTTP goes: 202, with the error to show meanwhile.
      guard.json(status.status === 'done' ? 200 : status.final ? 422 : 202, status);
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
}
