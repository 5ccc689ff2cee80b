import type { JSX } from 'preact';
import type { Verdict } from '../api/verdict-channel.ts';
import { formatPercent } from '../format-percent.ts';

export interface VerdictCardProps {
  readonly verdict: Verdict;
  /** From choosing the image to the verdict, in milliseconds. */
  readonly elapsedMs: number;
}

/** The model's answer: the label big, how sure it is, and the runners-up. */
export function VerdictCard({ verdict, elapsedMs }: VerdictCardProps): JSX.Element {
  const { prediction, via } = verdict;
  const top = prediction.topK.slice(0, 3);
  return (
    <section
      class="verdict"
      data-testid="verdict"
      data-channel={via}
      data-elapsed-ms={Math.round(elapsedMs)}
      aria-labelledby="verdict-heading"
    >
      <h2 id="verdict-heading" class="verdict__heading">
        It looks like
      </h2>
      <p class="verdict__label" data-testid="verdict-label">
        {prediction.label}
      </p>
      <p class="verdict__confidence" data-testid="verdict-confidence">
        {formatPercent(prediction.confidence)} sure
      </p>
      <h3 class="verdict__subheading">Top {top.length}</h3>
      <ol class="topk">
        {top.map((entry) => (
          <li class="topk__item" data-testid="verdict-topk" key={entry.label}>
            <span class="topk__label">{entry.label}</span>
            <span class="topk__bar" aria-hidden="true">
              <span class="topk__fill" style={{ width: `${Math.max(entry.confidence * 100, 0.5)}%` }} />
            </span>
            <span class="topk__value">{formatPercent(entry.confidence)}</span>
          </li>
        ))}
      </ol>
      <p class="verdict__meta">
        Model {prediction.model} v{prediction.modelVersion} · answered in {(elapsedMs / 1000).toFixed(1)} s
      </p>
    </section>
  );
}
