import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AccuracyMetrics, ModelMetrics } from '../../../contracts/metrics.ts';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { formatPercent } from '../format-percent.ts';
import { ModelHistories } from './model-histories.tsx';

/** `GET /api/reports/latest` (gateway/report-routes.ts). */
interface LatestReport {
  readonly runId: string;
  readonly generatedAt: string;
  readonly reportUrl: string;
  readonly metrics: unknown;
}

/** A model version's headline figures, whatever shape the metrics turned out to have. */
interface Headline {
  readonly model: string;
  readonly version: string;
  readonly n: number | null;
  readonly accuracy: number | null;
}

type Loaded =
  | { readonly status: 'loading' }
  | { readonly status: 'none' }
  | { readonly status: 'offline' }
  | { readonly status: 'failed'; readonly message: string }
  | {
      readonly status: 'ready';
      readonly report: LatestReport;
      /** Present when the metrics match contracts/metrics.ts. */
      readonly metrics: AccuracyMetrics | null;
      readonly headlines: readonly Headline[];
    };

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The latest accuracy report of the accuracy job, or a plain word that there is none yet. */
export function AccuracyView({ online }: { readonly online: boolean }): JSX.Element {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    void loadReport(controller.signal).then(setLoaded, (error: unknown) => {
      if (!controller.signal.aborted) setLoaded({ status: 'failed', message: String(error) });
    });
    return () => controller.abort();
  }, [online]);

  return (
    <section class="view" aria-labelledby="accuracy-heading">
      <h2 id="accuracy-heading" class="view__heading" tabIndex={-1}>
        Accuracy
      </h2>
      <div data-testid="accuracy" data-status={loaded.status}>
        {loaded.status === 'loading' && <p>Loading the latest report…</p>}
        {loaded.status === 'none' && (
          <p class="empty">
            No accuracy report yet. One appears here after the accuracy job has run over the labels people
            sent.
          </p>
        )}
        {loaded.status === 'offline' && (
          <p class="empty">
            You're offline. The accuracy report needs a connection; try again when you're back online.
          </p>
        )}
        {loaded.status === 'failed' && (
          <p class="notice">The report could not be loaded right now ({loaded.message}). Try again later.</p>
        )}
        {loaded.status === 'ready' && <Report loaded={loaded} />}
      </div>
      <ModelHistories online={online} />
    </section>
  );
}

function Report({ loaded }: { loaded: Extract<Loaded, { status: 'ready' }> }): JSX.Element {
  const { report, metrics, headlines } = loaded;
  return (
    <>
      <p class="report__meta">
        Report <code>{report.runId}</code>, made {dateFormat.format(new Date(report.generatedAt))}.{' '}
        <a href={report.reportUrl} target="_blank" rel="noopener">
          Open the full report
        </a>
      </p>
      <h3 id="accuracy-table-caption" class="report__caption">
        How often each model's verdict matched the labels people gave
      </h3>
      <ScrollRegion labelledBy="accuracy-table-caption">
        <table class="report-table" data-testid="accuracy-table" aria-labelledby="accuracy-table-caption">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Labelled</th>
              <th scope="col">Accuracy</th>
              {metrics && <th scope="col">Macro F1</th>}
              {metrics && <th scope="col">Device agrees</th>}
            </tr>
          </thead>
          <tbody>
            {headlines.map((h) => {
              const full = metrics?.models.find((m) => m.model === h.model && m.version === h.version);
              // No labels yet: every figure is "—", not a 0 % that reads like a verdict on the model.
              const labelled = full ? full.n > 0 : h.n !== null && h.n > 0;
              return (
                <tr key={`${h.model}/${h.version}`}>
                  <th scope="row">
                    {h.model} v{h.version}
                  </th>
                  <td>{h.n ?? '—'}</td>
                  <td>{h.accuracy === null || !labelled ? '—' : formatPercent(h.accuracy)}</td>
                  {metrics && <td>{full && labelled ? formatPercent(full.macro.f1) : '—'}</td>}
                  {metrics && (
                    <td>
                      {full?.device.agreement == null || full.device.n === 0
                        ? '—'
                        : formatPercent(full.device.agreement)}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
      <MetricNotes full={metrics !== null} />
      {metrics?.models.map((m) => (
        <ModelDetails key={`${m.model}/${m.version}`} metrics={m} />
      ))}
      <details class="report__embed">
        <summary>Show the full report here</summary>
        <iframe title="Full accuracy report" src={report.reportUrl} sandbox="allow-scripts" loading="lazy" />
      </details>
    </>
  );
}

function ModelDetails({ metrics }: { metrics: ModelMetrics }): JSX.Element {
  const { confusion } = metrics;
  const key = `${metrics.model}-${metrics.version}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return (
    <details class="report__model" data-testid="accuracy-model">
      <summary>
        {metrics.model} v{metrics.version}: per class, confusion matrix, calibration
      </summary>
      {metrics.n === 0 ? (
        <p class="empty">
          No labelled predictions for this version yet: its figures appear once people label its verdicts.
        </p>
      ) : (
        <>
          <p>
            Cohen's κ {metrics.kappa === null ? '—' : metrics.kappa.toFixed(3)} · expected calibration error{' '}
            {metrics.ece === null ? '—' : metrics.ece.toFixed(3)} · on-device accuracy{' '}
            {metrics.device.accuracy === null ? '—' : formatPercent(metrics.device.accuracy)} (n ={' '}
            {metrics.device.n})
          </p>
          {metrics.labelSources && metrics.labelSources.asked > 0 && (
            <p data-testid="accuracy-asked">
              The figures count the {metrics.labelSources.volunteered} labels people volunteered. The{' '}
              {metrics.labelSources.asked} labels the app asked for, where it was unsure, are scored apart:{' '}
              {metrics.labelSources.askedAccuracy === null
                ? '—'
                : formatPercent(metrics.labelSources.askedAccuracy)}{' '}
              right.
            </p>
          )}
          <h4 id={`per-class-${key}`} class="report__caption">
            Per class
          </h4>
          <ScrollRegion labelledBy={`per-class-${key}`}>
            <table class="report-table" aria-labelledby={`per-class-${key}`}>
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Precision</th>
                  <th scope="col">Recall</th>
                  <th scope="col">F1</th>
                  <th scope="col">Support</th>
                </tr>
              </thead>
              <tbody>
                {metrics.classes.map((c) => (
                  <tr key={c.label}>
                    <th scope="row">{c.label}</th>
                    <td>{formatPercent(c.precision)}</td>
                    <td>{formatPercent(c.recall)}</td>
                    <td>{formatPercent(c.f1)}</td>
                    <td>{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
          <h4 id={`confusion-${key}`} class="report__caption">
            Confusion matrix (rows: true label, columns: verdict)
          </h4>
          <ScrollRegion labelledBy={`confusion-${key}`}>
            <table class="report-table report-table--confusion" aria-labelledby={`confusion-${key}`}>
              <thead>
                <tr>
                  <td />
                  {confusion.labels.map((l) => (
                    <th scope="col" key={l}>
                      {l}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {confusion.matrix.map((row, i) => (
                  <tr key={confusion.labels[i]}>
                    <th scope="row">{confusion.labels[i]}</th>
                    {row.map((count, j) => (
                      <td key={confusion.labels[j]} class={i === j ? 'diagonal' : undefined}>
                        {count}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      )}
    </details>
  );
}

/** What each figure means, in plain words, beside the numbers. */
function MetricNotes({ full }: { full: boolean }): JSX.Element {
  return (
    <dl class="metric-notes" data-testid="metric-notes">
      <div>
        <dt>Accuracy</dt>
        <dd>the share of labelled photos where the server's verdict was the label people gave.</dd>
      </div>
      {full && (
        <>
          <div>
            <dt>Macro F1</dt>
            <dd>
              how well each class is both found and not confused with others, averaged so that rare classes
              count as much as common ones (100% is perfect).
            </dd>
          </div>
          <div>
            <dt>Device agrees</dt>
            <dd>how often the phone's own verdict was the same as the server's.</dd>
          </div>
          <div>
            <dt>Cohen's κ</dt>
            <dd>
              agreement with the labels beyond what chance would give: 1 is perfect, 0 no better than
              guessing.
            </dd>
          </div>
          <div>
            <dt>Expected calibration error</dt>
            <dd>
              how far the stated confidence is from how often the model is right (0 is perfect: "90% sure" is
              right 9 times in 10).
            </dd>
          </div>
        </>
      )}
      <div>
        <dt>—</dt>
        <dd>no labelled photo yet for that figure.</dd>
      </div>
    </dl>
  );
}

async function loadReport(signal: AbortSignal): Promise<Loaded> {
  let response: Response;
  try {
    response = await fetch('/api/reports/latest', { signal, cache: 'no-store' });
  } catch (error) {
    if (signal.aborted) throw error;
    return { status: 'offline' };
  }
  if (response.status === 404) return { status: 'none' };
  if (!response.ok) return { status: 'failed', message: `HTTP ${response.status}` };
  const body = (await response.json()) as Partial<LatestReport>;
  if (typeof body.runId !== 'string' || typeof body.generatedAt !== 'string') {
    return { status: 'failed', message: 'the report is not in the expected shape' };
  }
  const report: LatestReport = {
    runId: body.runId,
    generatedAt: body.generatedAt,
    reportUrl: typeof body.reportUrl === 'string' ? body.reportUrl : '/api/reports/latest/report.html',
    metrics: body.metrics,
  };
  const { accuracyMetricsSchema } = await import('../../../contracts/metrics.ts');
  const parsed = accuracyMetricsSchema.safeParse(report.metrics);
  if (parsed.success) {
    const headlines = parsed.data.models.map((m) => ({
      model: m.model,
      version: m.version,
      n: m.n,
      accuracy: m.accuracy,
    }));
    return { status: 'ready', report, metrics: parsed.data, headlines };
  }
  // Another shape than the contract (an older or newer job): show what can be recognised.
  console.warn('accuracy: metrics do not match contracts/metrics.ts', parsed.error.issues[0]);
  return { status: 'ready', report, metrics: null, headlines: looseHeadlines(report.metrics) };
}

/** `{models: [{model, version, n, accuracy}]}` read leniently, field by field. */
function looseHeadlines(metrics: unknown): Headline[] {
  const models = (metrics as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models.map((m: Record<string, unknown>) => ({
    model: typeof m.model === 'string' ? m.model : '?',
    version: typeof m.version === 'string' || typeof m.version === 'number' ? String(m.version) : '?',
    n: typeof m.n === 'number' ? m.n : null,
    accuracy: typeof m.accuracy === 'number' ? m.accuracy : null,
  }));
}
