import type { ModelHistory } from '../contracts/model-history.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { HttpError } from '../platform/http-error.ts';
import { HttpExchange } from '../platform/http-exchange.ts';
import { readDecisionHistory } from './decision-history.ts';
import type { GatewayContext } from './gateway-context.ts';
import { LatestReport } from './latest-report.ts';
import { versionDays } from './version-days.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/**
 * `GET /api/models/<model>/history[?limit=N]`: the model's versions over time for the Accuracy page
 * (contracts/model-history.ts): the learning loop's decisions from S3, newest first, accuracy per
 * version and day from the latest accuracy report, and the default the inference host serves now.
 * A missing report or an unreachable host leaves its part empty rather than failing the page.
 */
export function registerModelHistoryRoutes({
  app,
  config,
  s3,
  models,
  log,
  onUnexpected,
}: GatewayContext): void {
  const reports = new LatestReport(s3, config.bucket);

  app.get('/api/models/:model/history', (res, req) => {
    const guard = new HttpExchange(res, req);
    const rawModel = req.getParameter(0) ?? '';
    void (async () => {
      const model = parseModel(rawModel);
      const limit = parseLimit(new URLSearchParams(guard.query).get('limit'));
      const [history, report, defaultVersion] = await Promise.all([
        readDecisionHistory(s3, config.bucket, model, limit, (key, reason) =>
          log.warn({ key, reason }, 'skipped an invalid model decision record'),
        ),
        latestDays(reports, model),
        models.list().then(
          (list) => list.models.find((m) => m.name === model)?.version ?? null,
          () => null,
        ),
      ]);
      const body: ModelHistory = {
        model,
        defaultVersion,
        decisions: history.decisions,
        skipped: history.skipped,
        truncated: history.truncated,
        accuracy: report?.days ?? [],
        report: report ? { runId: report.runId, generatedAt: report.generatedAt } : null,
      };
      guard.json(200, body, { 'cache-control': 'no-cache' });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });
}

/** The latest report's days for `model`, or undefined when the job has not run yet. */
async function latestDays(reports: LatestReport, model: string) {
  let pointer: Awaited<ReturnType<LatestReport['pointer']>>;
  try {
    pointer = await reports.pointer();
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return undefined;
    throw error;
  }
  const metrics = await reports.metrics(pointer);
  return { runId: pointer.runId, generatedAt: pointer.generatedAt, days: versionDays(metrics, model) };
}

function parseModel(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_request', 'model: malformed percent-encoding');
  }
  const parsed = modelNameSchema.safeParse(decoded);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_request', `model: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new HttpError(
      400,
      'invalid_request',
      `limit: must be an integer from 1 to ${MAX_LIMIT}, got "${raw}"`,
    );
  }
  return limit;
}
