import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  LATEST_REPORT_KEY,
  type LatestReportPointer,
  latestReportPointerSchema,
} from '../contracts/reports.ts';
import { describeIssue } from '../contracts/zod-issues.ts';
import { HttpError } from '../platform/http-error.ts';

/** `reports/latest.json` is a few hundred bytes; anything much larger is not the job's. */
const MAX_POINTER_BYTES = 4 * 1024;
/** The job's metrics.json is bounded by the models' classes (tens of KiB); it is parsed here. */
export const MAX_METRICS_BYTES = 2 * 1024 * 1024;

export interface ReportObject {
  readonly body: Readable;
  readonly size: number;
}

/**
 * Reads what the accuracy job publishes in the bucket: the pointer `reports/latest.json`, checked
 * before use (size, schema, and that it names its own run's two files), and the files it points to.
 */
export class LatestReport {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** An object's body and size, undefined when it does not exist. */
  async open(key: string): Promise<ReportObject | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!object.Body || object.ContentLength === undefined) throw new Error(`${key}: no body or length`);
      return { body: object.Body as Readable, size: object.ContentLength };
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  /** A small object as text; a 502 HttpError when it is larger than `limit`. */
  async readSmall(key: string, limit: number): Promise<string | undefined> {
    const object = await this.open(key);
    if (object === undefined) return undefined;
    if (object.size > limit) {
      object.body.destroy();
      throw new HttpError(502, 'invalid_report', `${key} is ${object.size} bytes, more than a report has`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The checked pointer; a 404 HttpError when there is no report yet, 502 when it is not the job's. */
  async pointer(): Promise<LatestReportPointer> {
    const raw = await this.readSmall(LATEST_REPORT_KEY, MAX_POINTER_BYTES);
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
  }

  /** The latest run's metrics.json, parsed as JSON (not validated: callers read it as they can). */
  async metrics(pointer: LatestReportPointer): Promise<unknown> {
    const metrics = await this.readSmall(pointer.metricsKey, MAX_METRICS_BYTES);
    if (metrics === undefined)
      throw new HttpError(404, 'no_report', `the report ${pointer.runId} has no metrics`);
    try {
      return JSON.parse(metrics);
    } catch {
      throw new HttpError(502, 'invalid_report', `${pointer.metricsKey} is not JSON`);
    }
  }
}
