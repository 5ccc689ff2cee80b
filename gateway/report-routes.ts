import { HttpError } from '../platform/http-error.ts';
import { HttpExchange, statusLine } from '../platform/http-exchange.ts';
import type { GatewayContext } from './gateway-context.ts';
import { LatestReport } from './latest-report.ts';
import { REPORT_PAGE_HEADERS } from './security-headers.ts';
import { streamToResponse } from './stream-to-response.ts';

/**
 * `GET /api/reports/latest` (the newest accuracy metrics, JSON) and `GET /api/reports/latest/report.html`
 * (its self-contained page), read from S3 where the accuracy job put them. The pointer
 * `reports/latest.json` is checked before use (latest-report.ts); the page is streamed from S3 with
 * backpressure, never held whole, and served under a CSP that allows no script at all.
 */
export function registerReportRoutes({ app, config, s3, onUnexpected }: GatewayContext): void {
  const reports = new LatestReport(s3, config.bucket);

  app.get('/api/reports/latest', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await reports.pointer();
      const metrics = await reports.metrics(pointer);
      guard.json(200, {
        runId: pointer.runId,
        generatedAt: pointer.generatedAt,
        reportUrl: '/api/reports/latest/report.html',
        metrics,
      });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/reports/latest/report.html', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await reports.pointer();
      const page = await reports.open(pointer.reportKey);
      if (page === undefined)
        throw new HttpError(404, 'no_report', `the report ${pointer.runId} has no page`);
      await streamToResponse(guard, page.body, page.size, () => {
        res.writeStatus(statusLine(200)).writeHeader('content-type', 'text/html; charset=utf-8');
        res.writeHeader('cache-control', 'no-cache');
        for (const [name, value] of Object.entries(REPORT_PAGE_HEADERS)) res.writeHeader(name, value);
      });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
}
