import { resultUploadId } from '../contracts/results.ts';
import { HttpExchange, headersOf } from '../platform/http-exchange.ts';
import { readBody } from '../platform/read-body.ts';
import type { GatewayContext } from './gateway-context.ts';
import { ingestResult } from './result-ingest.ts';
import { uploadTopic } from './server-messages.ts';

const MAX_BODY_BYTES = 16 * 1024;

/**
 * `POST /internal/results`: the Lambda's signed result, handed to the relay, which stores it and
 * announces it to every gateway; each gateway (this one included) pushes it to its own subscribers.
 */
export function registerResultRoutes({ app, config, results, log, onUnexpected }: GatewayContext): void {
  app.post('/internal/results', (res, req) => {
    const guard = new HttpExchange(res);
    const headers = headersOf(req, ['content-length', 'x-result-signature']);
    // With the line's own `time` (logged once the result is stored and published): where a verdict's
    // time went (bench:e2e).
    const receivedAt = Date.now();
    void (async () => {
      const body = await readBody(guard, MAX_BODY_BYTES, headers['content-length'] ?? '');
      const { result, outcome } = await ingestResult(
        body,
        headers['x-result-signature'] ?? '',
        config.resultSigningSecret,
        results,
        Date.now() / 1000,
      );
      const uploadId = resultUploadId(result);
      // This gateway's subscribers only; with Redis, others may hold the browser's socket.
      const delivered = outcome === 'duplicate' ? 0 : app.numSubscribers(uploadTopic(uploadId));
      log.info({ uploadId, type: result.type, outcome, delivered, receivedAt }, 'result received');
      guard.json(200, { outcome, delivered });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
}
