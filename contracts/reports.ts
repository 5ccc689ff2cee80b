import { z } from 'zod';

/**
 * `reports/latest.json`: where the newest accuracy report is. The job writes it last, after
 * `reports/<runId>/metrics.json` and `report.html`, so it never points at a half-written run.
 */
export const latestReportPointerSchema = z.object({
  runId: z.string().regex(/^[A-Za-z0-9._-]+$/),
  generatedAt: z.iso.datetime(),
  metricsKey: z.string().startsWith('reports/'),
  reportKey: z.string().startsWith('reports/'),
});
export type LatestReportPointer = z.infer<typeof latestReportPointerSchema>;

/** `reports/latest.json`. */
export const LATEST_REPORT_KEY = 'reports/latest.json';
