import type { JSX } from 'preact';
import type { VersionDay } from '../../../contracts/model-history.ts';
import { formatPercent } from '../format-percent.ts';

const WIDTH = 320;
const HEIGHT = 150;
const PAD = { left: 40, right: 34, top: 10, bottom: 22 };

/**
 * Accuracy per model version over the days, one line per version (each its own dash pattern and a
 * `v<n>` label at its end, so that colour is not the only cue). A picture of the table beside it, which
 * is what screen readers get: the chart names itself and says so.
 */
export function AccuracyChart({
  days,
  titleId,
  model,
}: {
  days: readonly VersionDay[];
  titleId: string;
  model: string;
}): JSX.Element | null {
  const scored = days.filter((d) => d.accuracy !== null && d.n > 0);
  const allDays = [...new Set(scored.map((d) => d.day))].sort();
  if (allDays.length === 0) return null;
  const versions = [...new Set(scored.map((d) => d.version))].sort((a, b) => Number(a) - Number(b));
  const low = Math.max(0, Math.floor(Math.min(...scored.map((d) => d.accuracy as number)) * 10) / 10);
  const x = (day: string) => {
    const i = allDays.indexOf(day);
    const span = WIDTH - PAD.left - PAD.right;
    return allDays.length === 1 ? PAD.left + span / 2 : PAD.left + (i / (allDays.length - 1)) * span;
  };
  const y = (accuracy: number) =>
    PAD.top + (1 - (accuracy - low) / (1 - low || 1)) * (HEIGHT - PAD.top - PAD.bottom);
  return (
    <svg
      class="accuracy-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby={titleId}
      data-testid="accuracy-chart"
    >
      <title id={titleId}>
        {`Accuracy of ${model} per version from ${allDays[0]} to ${allDays[allDays.length - 1]}; the table below gives the figures.`}
      </title>
      {[low, (low + 1) / 2, 1].map((tick) => (
        <g key={tick} class="accuracy-chart__grid">
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
          <text x={PAD.left - 4} y={y(tick) + 4} text-anchor="end">
            {formatPercent(tick)}
          </text>
        </g>
      ))}
      <text class="accuracy-chart__axis" x={PAD.left} y={HEIGHT - 4}>
        {allDays[0]}
      </text>
      {allDays.length > 1 && (
        <text class="accuracy-chart__axis" x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">
          {allDays[allDays.length - 1]}
        </text>
      )}
      {versions.map((version, i) => {
        const points = scored.filter((d) => d.version === version);
        const last = points[points.length - 1] as VersionDay;
        return (
          <g key={version} class={`accuracy-chart__line accuracy-chart__line--${i % 4}`}>
            <polyline points={points.map((d) => `${x(d.day)},${y(d.accuracy as number)}`).join(' ')} />
            {points.map((d) => (
              <circle key={d.day} cx={x(d.day)} cy={y(d.accuracy as number)} r="2.5" />
            ))}
            <text x={x(last.day) + 5} y={y(last.accuracy as number) + 4}>
              v{version}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
