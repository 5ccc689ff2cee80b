import { PutObjectCommand } from '@aws-sdk/client-s3';
import { submitLabelsRequestSchema } from '../contracts/labels.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange, headersOf } from '../platform/http-exchange.ts';
import { parseJsonBody, readBody } from '../platform/read-body.ts';
import type { GatewayContext } from './gateway-context.ts';
import { LabelIntake } from './label-intake.ts';
import { labelProblem } from './label-vocabulary.ts';

const MAX_BODY_BYTES = 256 * 1024;

/** `POST /api/labels`: batches of true labels from the app, each authorised by its upload's token. */
export function registerLabelRoutes({
  app,
  config,
  s3,
  models,
  log,
  onUnexpected,
}: GatewayContext): LabelIntake {
  const intake = new LabelIntake(
    {
      async writeBatch(key, jsonLines) {
        await s3.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: key,
            Body: jsonLines,
            ContentType: 'application/x-ndjson',
          }),
        );
      },
    },
    config.uploadTokenSecret,
  );

  app.post('/api/labels', (res, req) => {
    const guard = new HttpExchange(res);
    const headers = headersOf(req, ['content-length']);
    void (async () => {
      const body = parseJsonBody(await readBody(guard, MAX_BODY_BYTES, headers['content-length'] ?? ''));
      const parsed = submitLabelsRequestSchema.safeParse(body);
      if (!parsed.success) {
        throw new HttpError(400, 'invalid_labels', describeIssue(parsed.error, 'body'));
      }
      // Labels become classes of the accuracy report: only the models' own labels are taken.
      const catalogue = await models.list().catch((error: unknown) => {
        log.warn({ err: error }, 'cannot check labels: the model list is unavailable');
        throw new HttpError(503, 'labels_unavailable', 'labels cannot be checked now; try again later');
      });
      parsed.data.labels.forEach((label, i) => {
        const problem = labelProblem(label, catalogue);
        if (problem !== undefined) throw new HttpError(400, 'unknown_label', `labels.${i}.${problem}`);
      });
      let results: Awaited<ReturnType<LabelIntake['submit']>>;
      try {
        results = await intake.submit(parsed.data);
      } catch (error) {
        log.error({ err: error }, 'could not store labels');
        throw new HttpError(503, 'storage_unavailable', 'labels could not be stored now; try again later');
      }
      const stored = results.filter((r) => r.status === 'stored').length;
      log.info({ received: results.length, stored }, 'labels received');
      guard.json(200, { results });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
  return intake;
}
