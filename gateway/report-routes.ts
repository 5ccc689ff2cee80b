import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { LATEST_REPORT_KEY, latestReportPointerSchema } from '../contracts/reports.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange, statusLine } from '../platform/http-exchange.ts';
import type { GatewayContext } from './gateway-context.ts';
import { REPORT_PAGE_HEADERS } from './security-headers.ts';
import { streamToResponse } from './stream-to-response.ts';

/** `reports/latest.json` is a few hundred bytes; anything much larger is not the job's. */
const MAX_POINTER_BYTES = 4 * 1024;
/** The job's metrics.json is bounded by the models' classes (tens of KiB); it is parsed here. */
const MAX_METRICS_BYTES = 2 * 1024 * 1024;

interface ReportObject {
  readonly body: Readable;
  readonly size: number;
}

/**
 * `GET /api/reports/latest` (the newest accuracy metrics, JSON) and `GET /api/reports/latest/report.html`
 * (its self-contained page), read from S3 where the accuracy job put them. The pointer
 * `reports/latest.json` is checked before use (size, schema, and that it names its own run's two
 * files); the page is streamed from S3 with backpressure, never held whole, and served under a CSP
 * that allows no script at all.
 */
export function registerReportRoutes({ app, config, s3, onUnexpected }: GatewayContext): void {
  const open = async (key: string): Promise<ReportObject | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
      if (!object.Body || object.ContentLength === undefined) throw new Error(`${key}: no body or length`);
      return { body: object.Body as Readable, size: object.ContentLength };
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  };
  const readSmall = async (key: string, limit: number): Promise<string | undefined> => {
    const object = await open(key);
    if (object === undefined) return undefined;
    if (object.size > limit) {
      object.body.destroy();
      throw new HttpError(502, 'invalid_report', `${key} is ${object.size} bytes, more than a report has`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const latest = async () => {
    const raw = await readSmall(LATEST_REPORT_KEY, MAX_POINTER_BYTES);
    if (raw === undefined) {
      throw new HttpError(
        404,
        'no_report',
        'no accuracy report yet: run `npm run accuracy` once labels exist',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new HttpError(502, 'invalid_report', `${LATEST_REPORT_KEY} is not JSON`);
    }
    const parsed = latestReportPointerSchema.safeParse(json);
    if (!parsed.success) {
      throw new HttpError(
        502,
        'invalid_report',
        `${LATEST_REPORT_KEY}: ${describeIssue(parsed.error, 'pointer')}`,
      );
    }
    const pointer = parsed.data;
    // The job writes exactly these; a pointer elsewhere (another run's page, any other object) is not its.
    const base = `reports/${pointer.runId}/`;
    if (pointer.metricsKey !== `${base}metrics.json` || pointer.reportKey !== `${base}report.html`) {
      throw new HttpError(502, 'invalid_report', `${LATEST_REPORT_KEY} names files outside its run ${base}`);
    }
    return pointer;
  };

  app.get('/api/reports/latest', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await latest();
      const metrics = await readSmall(pointer.metricsKey, MAX_METRICS_BYTES);
      if (metrics === undefined)
        throw new HttpError(404, 'no_report', `the report ${pointer.runId} has no metrics`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(metrics);
      } catch {
        throw new HttpError(502, 'invalid_report', `${pointer.metricsKey} is not JSON`);
      }
      guard.json(200, {
        runId: pointer.runId,
        generatedAt: pointer.generatedAt,
        reportUrl: '/api/reports/latest/report.html',
        metrics: parsed,
      });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/reports/latest/report.html', (res) => {
    const guard = new HttpExchange(res);
    void (async () => {
      const pointer = await latest();
      const page = await open(pointer.reportKey);
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
