import type { CalibrationBin, ClassMetrics, DayMetrics } from '../contracts/metrics.ts';

/**
 * The report's charts as inline SVG (the page may fetch nothing). Each chart is `role="img"` with an
 * `aria-label` that says what it shows; the numbers behind it are in a table beside it. Colours come
 * from the page's CSS classes, so light and dark follow the reader's setting.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

export function percent(value: number | null, digits = 1): string {
  return value === null ? '–' : `${(value * 100).toFixed(digits)} %`;
}

const fix = (v: number) => Number(v.toFixed(2));

/** Precision, recall and F1 of each class as grouped horizontal bars. */
export function classBarsSvg(classes: readonly ClassMetrics[]): string {
  const labelWidth = 120;
  const width = 560;
  const plot = width - labelWidth - 50;
  const bar = 8;
  const rowHeight = bar * 3 + 12;
  const top = 28;
  const height = top + classes.length * rowHeight + 8;
  const series = [
    ['precision', 'c1'],
    ['recall', 'c2'],
    ['f1', 'c3'],
  ] as const;
  const rows = classes
    .map((c, i) => {
      const y = top + i * rowHeight;
      const bars = series
        .map(([key, css], s) => {
          const v = c[key];
          return `<rect class="${css}" x="${labelWidth}" y="${y + s * bar}" width="${fix(v * plot)}" height="${bar - 1}"><title>${escapeHtml(c.label)} ${key}: ${percent(v)}</title></rect>`;
        })
        .join('');
      return `<text class="axis" x="${labelWidth - 6}" y="${y + bar * 1.5 + 4}" text-anchor="end">${escapeHtml(truncate(c.label, 16))}</text>${bars}<text class="axis small" x="${labelWidth + fix(c.f1 * plot) + 4}" y="${y + bar * 2.5 + 3}">${percent(c.f1, 0)}</text>`;
    })
    .join('');
  const legend = series
    .map(
      ([key, css], s) =>
        `<rect class="${css}" x="${labelWidth + s * 110}" y="6" width="12" height="12"/><text class="axis" x="${labelWidth + s * 110 + 16}" y="16">${key === 'f1' ? 'F1' : key}</text>`,
    )
    .join('');
  const grid = [0, 0.5, 1]
    .map(
      (v) =>
        `<line class="grid" x1="${labelWidth + v * plot}" x2="${labelWidth + v * plot}" y1="${top - 4}" y2="${height - 4}"/>`,
    )
    .join('');
  const summary = classes
    .map(
      (c) =>
        `${c.label}: precision ${percent(c.precision)}, recall ${percent(c.recall)}, F1 ${percent(c.f1)}`,
    )
    .join('; ');
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`Per-class precision, recall and F1. ${summary}`)}">${legend}${grid}${rows}</svg>`;
}

/**
 * The reliability diagram: per confidence bin, the accuracy (bar) against the mean confidence (tick),
 * with the diagonal of perfect calibration. Empty bins are left out; the bin of confidence exactly 1 is
 * drawn as a dot at the right edge.
 */
export function reliabilitySvg(bins: readonly CalibrationBin[], ece: number | null): string {
  const size = 300;
  const pad = 36;
  const plot = size - pad - 12;
  const x = (v: number) => fix(pad + v * plot);
  const y = (v: number) => fix(12 + (1 - v) * plot);
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const marks = bins
    .filter((b) => b.count > 0 && b.accuracy !== null && b.confidence !== null)
    .map((b) => {
      const acc = b.accuracy as number;
      const conf = b.confidence as number;
      const title = `<title>confidence ${b.lower.toFixed(3)}–${b.upper.toFixed(3)}: ${b.count} predictions, accuracy ${percent(acc)}, mean confidence ${percent(conf)}</title>`;
      // Bars of thinly populated bins are paler: they say less.
      const opacity = fix(0.35 + 0.65 * Math.sqrt(b.count / maxCount));
      if (b.upper === b.lower) {
        return `<circle class="c1" cx="${x(1)}" cy="${y(acc)}" r="4" opacity="${opacity}">${title}</circle>`;
      }
      const w = x(b.upper) - x(b.lower) - 1;
      return `<rect class="c1" x="${x(b.lower)}" y="${y(acc)}" width="${fix(w)}" height="${fix(y(0) - y(acc))}" opacity="${opacity}">${title}</rect><line class="tick" x1="${x(b.lower)}" x2="${x(b.upper) - 1}" y1="${y(conf)}" y2="${y(conf)}"/>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line class="grid" x1="${x(0)}" x2="${x(1)}" y1="${y(v)}" y2="${y(v)}"/><text class="axis small" x="${pad - 4}" y="${y(v) + 3}" text-anchor="end">${v * 100}</text><text class="axis small" x="${x(v)}" y="${size - 10}" text-anchor="middle">${v * 100}</text>`,
    )
    .join('');
  const label = `Reliability diagram: accuracy against top-1 confidence in ${bins.length - 1} bins; expected calibration error ${ece === null ? 'not defined' : ece.toFixed(4)}.`;
  return `<svg class="chart square" viewBox="0 0 ${size} ${size}" role="img" aria-label="${escapeHtml(label)}">${ticks}<line class="diagonal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>${marks}<text class="axis small" x="${x(0.5)}" y="${size}" text-anchor="middle">confidence %</text></svg>`;
}

/** Accuracy per day as a line; the y axis starts at a round value below the lowest day. */
export function daysSvg(days: readonly DayMetrics[]): string {
  const scored = days.filter((d) => d.accuracy !== null);
  const width = 560;
  const height = 220;
  const left = 40;
  const right = 16;
  const top = 12;
  const bottom = 34;
  const lowest = Math.min(1, ...scored.map((d) => d.accuracy as number));
  const floor = Math.max(0, Math.floor(lowest * 10 - 0.5) / 10);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const x = (i: number) => fix(left + (scored.length === 1 ? plotW / 2 : (i / (scored.length - 1)) * plotW));
  const y = (v: number) => fix(top + (1 - (v - floor) / (1 - floor || 1)) * plotH);
  const path = scored.map((d, i) => `${i === 0 ? 'M' : 'L'}${x(i)},${y(d.accuracy as number)}`).join(' ');
  const points = scored
    .map(
      (d, i) =>
        `<circle class="c2" cx="${x(i)}" cy="${y(d.accuracy as number)}" r="3.5"><title>${d.day}: ${percent(d.accuracy)} of ${d.n}</title></circle>`,
    )
    .join('');
  const steps = 4;
  const grid = Array.from({ length: steps + 1 }, (_, s) => floor + ((1 - floor) * s) / steps)
    .map(
      (v) =>
        `<line class="grid" x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}"/><text class="axis small" x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${(v * 100).toFixed(0)}</text>`,
    )
    .join('');
  const every = Math.max(1, Math.ceil(scored.length / 6));
  const dayTicks = scored
    .map((d, i) =>
      i % every === 0 || i === scored.length - 1
        ? `<text class="axis small" x="${x(i)}" y="${height - 12}" text-anchor="middle">${d.day.slice(5)}</text>`
        : '',
    )
    .join('');
  const label = `Accuracy by day, ${scored.length} days: ${scored.map((d) => `${d.day} ${percent(d.accuracy)}`).join(', ')}.`;
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}">${grid}<path class="line" d="${path}"/>${points}${dayTicks}</svg>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
