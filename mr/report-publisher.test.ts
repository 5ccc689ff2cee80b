import { describe, expect, it } from 'vitest';
import { finalizeMetrics } from './finalize.ts';
import { newRunId, publishReport, type ReportSink } from './report-publisher.ts';

describe('publishing a report', () => {
  it('writes metrics.json and report.html first and reports/latest.json last', async () => {
    const written: Array<[string, string]> = [];
    const sink: ReportSink = {
      put: async (key, _body, contentType) => {
        written.push([key, contentType]);
      },
      locate: (key) => key,
    };
    const metrics = finalizeMetrics([], { runId: 'r-1', generatedAt: new Date(0), manifests: {} });
    const pointer = await publishReport(sink, metrics);
    expect(written).toEqual([
      ['reports/r-1/metrics.json', 'application/json'],
      ['reports/r-1/report.html', 'text/html; charset=utf-8'],
      ['reports/latest.json', 'application/json'],
    ]);
    expect(pointer).toEqual({
      runId: 'r-1',
      generatedAt: '1970-01-01T00:00:00.000Z',
      metricsKey: 'reports/r-1/metrics.json',
      reportKey: 'reports/r-1/report.html',
    });
  });

  it('names runs by UTC time, safely for a key', () => {
    expect(newRunId(new Date('2026-03-01T10:15:00.123Z'))).toMatch(/^20260301T101500Z-[0-9a-f]{6}$/);
  });
});
