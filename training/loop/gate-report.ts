import type { GateCheck } from '../../contracts/model-decision.ts';

/** The gate's checks as a readable table: one row per check, figures in percent, the verdict last. */
export function formatGateTable(
  checks: readonly GateCheck[],
  currentVersion: string,
  candidateVersion: string,
): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;
  const head = [
    'check',
    'n',
    `v${currentVersion}`,
    `v${candidateVersion}`,
    'diff (95% CI), points',
    'rule',
    'result',
  ];
  const rows = checks.map((c) => [
    c.name,
    String(c.items),
    pct(c.current),
    pct(c.candidate),
    `${signed(c.difference.estimate)} [${signed(c.difference.low)}, ${signed(c.difference.high)}]`,
    c.rule === 'better'
      ? `better (${c.better})`
      : `not worse by ${(c.margin * 100).toFixed(1)} (${c.better})`,
    c.passed ? 'pass' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i >= 5 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
