import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { LATEST_REPORT_KEY, latestReportPointerSchema } from '../contracts/reports.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange, statusLine } from '../platform/http-exchange.ts';
import type { GatewayContext } from './gateway-context.ts';

/**
 * `GET /api/reports/latest` (the newest accuracy metrics, JSON) and `GET /api/reports/latest/report.html`
 * (its self-contained page), read from S3 where the accuracy job put them.
 */
export function registerReportRoutes({ app, config, s3, onUnexpected }: GatewayContext): void {
  const read = async (key: string): Promise<string | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
      return await object.Body?.transformToString();
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  };
  const latest = async () => {
    const raw = await read(LATEST_REPORT_KEY);
    if (raw === undefined) {
      throw new HttpError(
        404,
        'no_report',
        'no accuracy report yet: run `npm run accuracy` once labels exist',
      );
    }
    return latestReportPointerSchema.parse(JSON.parse(raw));
  };

  app.get('/api/reports/latest', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await latest();
      const metrics = await read(pointer.metricsKey);
      if (metrics === undefined)
        throw new HttpError(404, 'no_report', `the report ${pointer.runId} has no metrics`);
      guard.json(200, {
        runId: pointer.runId,
        generatedAt: pointer.generatedAt,
        reportUrl: '/api/reports/latest/report.html',
        metrics: JSON.parse(metrics) as unknown,
      });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/reports/latest/report.html', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await latest();
      const html = await read(pointer.reportKey);
      if (html === undefined)
        throw new HttpError(404, 'no_report', `the report ${pointer.runId} has no page`);
      if (guard.aborted) return;
      res.cork(() => {
        res
          .writeStatus(statusLine(200))
          .writeHeader('content-type', 'text/html; charset=utf-8')
          .writeHeader('cache-control', 'no-cache')
          // The report is self-contained: inline styles and scripts, nothing fetched.
          .writeHeader(
            'content-security-policy',
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
          )
          .end(html);
      });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
}
