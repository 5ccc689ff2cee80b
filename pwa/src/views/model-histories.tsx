import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { GateCheck, ModelDecision } from '../../../contracts/model-decision.ts';
import type { ModelHistory } from '../../../contracts/model-history.ts';
import { AccuracyChart } from '../components/accuracy-chart.tsx';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { formatPercent } from '../format-percent.ts';

type Loaded =
  | { readonly status: 'loading' }
  | { readonly status: 'offline' }
  | { readonly status: 'ready'; readonly histories: readonly ModelHistory[] };

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** A UTC day of the accuracy job, short enough for a phone's table ("7 Mar"; the chart's axis has the year). */
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

const OUTCOME_WORDS: Record<ModelDecision['outcome'], string> = {
  promoted: 'Promoted',
  refused: 'Refused',
  'rolled-back': 'Rolled back',
};

/**
 * Each model's versions over time (`GET /api/models/<m>/history`): accuracy per version and day on the
 * labels people volunteered, and the learning loop's decisions (promoted, refused, rolled back) with
 * the gate's checks, newest first.
 */
export function ModelHistories({ online }: { readonly online: boolean }): JSX.Element {
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    loadHistories(controller.signal).then(setLoaded, (error: unknown) => {
      if (!controller.signal.aborted) console.warn('accuracy: model histories failed', error);
    });
    return () => controller.abort();
  }, [online]);

  return (
    <section class="model-histories" aria-labelledby="versions-heading" data-testid="model-histories">
      <h3 id="versions-heading" class="report__caption report__caption--section">
        Model versions over time
      </h3>
      {loaded.status === 'loading' && <p>Loading the models' history…</p>}
      {loaded.status === 'offline' && (
        <p class="empty">The models' history needs a connection; try again when you're back online.</p>
      )}
      {loaded.status === 'ready' && loaded.histories.length === 0 && (
        <p class="empty">No model history yet.</p>
      )}
      {loaded.status === 'ready' &&
        loaded.histories.map((h) => <ModelHistoryPanel key={h.model} history={h} />)}
    </section>
  );
}

function ModelHistoryPanel({ history }: { history: ModelHistory }): JSX.Element {
  const id = history.model.replace(/[^A-Za-z0-9_-]/g, '_');
  const rows = [...history.accuracy].reverse();
  return (
    <article class="model-history" data-testid={`model-history-${history.model}`}>
      <h4 class="model-history__title">{history.model}</h4>
      <p data-testid="default-version">
        {history.defaultVersion === null
          ? 'The server could not say which version it serves now.'
          : `Version ${history.defaultVersion} is the one in use now.`}
      </p>
      {rows.length > 0 ? (
        <>
          <AccuracyChart days={history.accuracy} model={history.model} titleId={`chart-${id}`} />
          <h5 id={`by-day-${id}`} class="report__caption">
            Accuracy per version and day (labels people volunteered)
          </h5>
          <ScrollRegion labelledBy={`by-day-${id}`}>
            <table
              class="report-table report-table--compact"
              aria-labelledby={`by-day-${id}`}
              data-testid="version-days"
            >
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col">Version</th>
                  <th scope="col">Accuracy</th>
                  <th scope="col">Labelled</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={`${d.day}/${d.version}`}>
                    <th scope="row">
                      <time dateTime={d.day}>{dayFormat.format(new Date(`${d.day}T00:00:00Z`))}</time>
                    </th>
                    <td>v{d.version}</td>
                    <td>{d.accuracy === null || d.n === 0 ? '—' : formatPercent(d.accuracy)}</td>
                    <td>{d.n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </>
      ) : (
        <p class="empty">No labelled verdicts of {history.model} yet.</p>
      )}
      <h5 class="report__caption">Decisions</h5>
      {history.decisions.length === 0 ? (
        <p class="empty">No version has been promoted, refused or rolled back yet.</p>
      ) : (
        <ol class="decisions" data-testid="decisions">
          {history.decisions.map((d) => (
            <DecisionItem key={d.decisionId} decision={d} />
          ))}
        </ol>
      )}
      {history.truncated && <p class="empty">Older decisions are not shown.</p>}
    </article>
  );
}

function DecisionItem({ decision }: { decision: ModelDecision }): JSX.Element {
  const checksId = `checks-${decision.decisionId}`;
  return (
    <li class="decision" data-testid="decision" data-outcome={decision.outcome}>
      <p class="decision__head">
        <span class={`chip decision__outcome decision__outcome--${decision.outcome}`}>
          {OUTCOME_WORDS[decision.outcome]}
        </span>{' '}
        <span>
          v{decision.fromVersion} → v{decision.toVersion}
        </span>{' '}
        <time dateTime={decision.decidedAt} class="decision__time">
          {dateFormat.format(new Date(decision.decidedAt))}
        </time>
      </p>
      <p class="decision__summary">{decision.summary}</p>
      {decision.checks.length > 0 && (
        <details class="report__model">
          <summary>
            Gate checks ({decision.checks.filter((c) => c.passed).length} of {decision.checks.length} passed)
          </summary>
          <ScrollRegion labelledBy={checksId}>
            <table class="report-table" aria-labelledby={checksId}>
              <caption id={checksId}>
                Candidate against the version in use, 95% interval of the difference
              </caption>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">In use</th>
                  <th scope="col">Candidate</th>
                  <th scope="col">Difference</th>
                  <th scope="col">Passed</th>
                </tr>
              </thead>
              <tbody>
                {decision.checks.map((c) => (
                  <tr key={c.name}>
                    <th scope="row">{c.name}</th>
                    <td>{formatFigure(c, c.current)}</td>
                    <td>{formatFigure(c, c.candidate)}</td>
                    <td>{formatDifference(c)}</td>
                    <td>{c.passed ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </details>
      )}
    </li>
  );
}

/** Accuracy-like figures (0 to 1) as percents; anything else as a number. */
function formatFigure(check: GateCheck, value: number): string {
  return value >= 0 && value <= 1 && check.margin <= 1 ? formatPercent(value) : value.toFixed(3);
}

/** `+2.1 pt (+0.4 to +3.8)`: the difference in percentage points with its confidence interval. */
function formatDifference({ difference }: GateCheck): string {
  const points = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}`;
  return `${points(difference.estimate)} pt (${points(difference.low)} to ${points(difference.high)})`;
}

async function loadHistories(signal: AbortSignal): Promise<Loaded> {
  const [{ modelHistorySchema }, { loadBundledModels, loadHostModels }] = await Promise.all([
    import('../../../contracts/model-history.ts'),
    import('../models/model-catalogue.ts'),
  ]);
  const host = await loadHostModels(signal);
  const names = host ? host.map((m) => m.name) : (await loadBundledModels()).map((m) => m.name);
  const histories: ModelHistory[] = [];
  for (const name of names) {
    let response: Response;
    try {
      response = await fetch(`/api/models/${encodeURIComponent(name)}/history`, {
        signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (signal.aborted) throw error;
      return { status: 'offline' };
    }
    if (!response.ok) continue;
    const parsed = modelHistorySchema.safeParse(await response.json());
    if (parsed.success) histories.push(parsed.data);
    else
      console.warn(`accuracy: the history of ${name} is not in the expected shape`, parsed.error.issues[0]);
  }
  return { status: 'ready', histories };
}
