const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** 0.9731 → "97.3%" in the reader's locale; near-certainties read ">99.9%", not "100%", and tiny values "<0.1%". */
export function formatPercent(fraction: number): string {
  if (fraction < 1 && fraction > 0.999) return `>${percent.format(0.999)}`;
  if (fraction > 0 && fraction < 0.001) return `<${percent.format(0.001)}`;
  return percent.format(fraction);
}
