import type { AccuracyMetrics } from '../contracts/metrics.ts';

/** Lays rows out as aligned columns (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-+\d.,%\s–×]*$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(2)} %`);
const num = (v: number) => v.toLocaleString('en');

/** The summary printed at the end of a run: one row per model version, then the coverage. */
export function formatSummary(metrics: AccuracyMetrics): string {
  const rows = metrics.models.map((m) => [
    m.model,
    m.version,
    num(m.n),
    pct(m.accuracy),
    num(m.labelSources?.asked ?? 0),
    pct(m.labelSources?.askedAccuracy ?? null),
    pct(m.n === 0 ? null : m.macro.f1),
    m.kappa === null ? '–' : m.kappa.toFixed(4),
    m.ece === null ? '–' : m.ece.toFixed(4),
    m.device.n === 0 ? '–' : pct(m.device.agreement),
    String(m.days.length),
  ]);
  const c = metrics.coverage;
  const table =
    rows.length === 0
      ? 'No labelled predictions yet.'
      : formatTable(
          [
            'model',
            'version',
            'volunteered',
            'accuracy',
            'asked',
            'asked acc.',
            'macro F1',
            'kappa',
            'ECE',
            'device agrees',
            'days',
          ],
          rows,
        );
  const reasons = Object.entries(c.malformedByReason)
    .map(([reason, n]) => `${reason} ${num(n)}`)
    .join(', ');
  return [
    table,
    '',
    `records: ${num(c.predictionRecords)} predictions, ${num(c.labelRecords)} labels, ${num(c.malformedLines)} malformed lines${reasons ? ` (${reasons})` : ''}`,
    `not scored: ${num(c.predictionsWithoutLabel)} predictions without a label, ${num(c.labelsWithoutPrediction)} labelled uploads without a prediction`,
    `dropped: ${num(c.duplicatePredictions)} duplicate predictions, ${num(c.duplicateLabels)} duplicate labels, ${num(c.supersededLabels)} labels replaced by a later one`,
  ].join('\n');
}
