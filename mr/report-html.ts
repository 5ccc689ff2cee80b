import type { AccuracyMetrics, ClassificationMetrics, ModelMetrics } from '../contracts/metrics.ts';
import { classBarsSvg, daysSvg, escapeHtml, percent, reliabilitySvg } from './report-charts.ts';

/**
 * `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched), readable on a
 * phone, light or dark as the reader prefers. Every chart has its numbers in a table. Labels come from
 * people, so every string is escaped.
 */
export function renderReport(metrics: AccuracyMetrics): string {
  const c = metrics.coverage;
  const nav =
    metrics.models.length > 1
      ? `<nav aria-label="Models"><ul>${metrics.models.map((m) => `<li><a href="#${anchor(m)}">${escapeHtml(m.model)} v${escapeHtml(m.version)}</a></li>`).join('')}</ul></nav>`
      : '';
  const reasons = Object.entries(c.malformedByReason)
    .map(([reason, n]) => `<li><code>${escapeHtml(reason)}</code>: ${n}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Accuracy report ${escapeHtml(metrics.runId)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Accuracy</h1>
<p class="muted">Run <code>${escapeHtml(metrics.runId)}</code>, generated ${escapeHtml(metrics.generatedAt.replace('T', ' ').slice(0, 16))} UTC, from ${c.predictionRecords.toLocaleString('en')} prediction and ${c.labelRecords.toLocaleString('en')} label records.</p>
${nav}
</header>
<main>
${metrics.models.length === 0 ? '<p>No model has labelled predictions yet.</p>' : metrics.models.map(modelSection).join('\n')}
<section aria-labelledby="coverage">
<h2 id="coverage">Coverage</h2>
<table class="numbers">
<tbody>
<tr><th scope="row">Predictions without a label</th><td>${c.predictionsWithoutLabel}</td></tr>
<tr><th scope="row">Labelled uploads without a prediction</th><td>${c.labelsWithoutPrediction}</td></tr>
<tr><th scope="row">Duplicate predictions dropped</th><td>${c.duplicatePredictions}</td></tr>
<tr><th scope="row">Duplicate labels dropped</th><td>${c.duplicateLabels}</td></tr>
<tr><th scope="row">Labels replaced by a later one</th><td>${c.supersededLabels}</td></tr>
<tr><th scope="row">Labels that are not one of the model's labels</th><td>${c.invalidLabels}</td></tr>
<tr><th scope="row">Malformed lines</th><td>${c.malformedLines}</td></tr>
</tbody>
</table>
${reasons === '' ? '' : `<ul class="muted">${reasons}</ul>`}
</section>
</main>
</body>
</html>
`;
}

function anchor(m: ModelMetrics): string {
  return `m-${m.model}-${m.version}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

function modelSection(m: ModelMetrics): string {
  const id = anchor(m);
  if (m.n === 0) {
    // Nothing labelled: empty charts and 0 % figures would read like a verdict on the model.
    return `<section aria-labelledby="${id}">
<h2 id="${id}">${escapeHtml(m.model)} <span class="muted">version ${escapeHtml(m.version)}</span></h2>
<p class="empty">No labelled predictions for this version yet: its figures appear once people label its verdicts.</p>
</section>`;
  }
  return `<section aria-labelledby="${id}">
<h2 id="${id}">${escapeHtml(m.model)} <span class="muted">version ${escapeHtml(m.version)}</span></h2>
${cards(m)}
<h3 id="${id}-confusion">Confusion matrix</h3>
${confusionTable(m, `${id}-confusion`)}
<h3>Per class</h3>
${classBarsSvg(m.classes)}
<details><summary>Numbers</summary>${classTable(m, `${id}-classes`)}</details>
<div class="pair">
<figure>
<figcaption><h3>Reliability</h3></figcaption>
${reliabilitySvg(m.calibration.bins, m.ece)}
<p class="muted small">Bars: accuracy per confidence bin (paler: fewer predictions); ticks: mean confidence; dashed: perfect calibration.</p>
<details><summary>Numbers</summary>${binsTable(m)}</details>
</figure>
<figure>
<figcaption><h3>Accuracy by day</h3></figcaption>
${m.days.some((d) => d.accuracy !== null) ? daysSvg(m.days) : '<p class="muted">No labelled day yet.</p>'}
<details><summary>Numbers</summary>${daysTable(m, `${id}-days`)}</details>
</figure>
</div>
</section>`;
}

function cards(m: ClassificationMetrics): string {
  // Each figure with what it means in plain words, beside the number.
  const items: Array<[string, string, string]> = [
    ['Labelled', m.n.toLocaleString('en'), 'photos people gave a label to'],
    ['Accuracy', percent(m.accuracy), "share where the server's verdict was the label"],
    [
      'Macro F1',
      percent(m.n === 0 ? null : m.macro.f1),
      'found and not confused, every class counting the same',
    ],
    [
      'Weighted F1',
      percent(m.n === 0 ? null : m.weighted.f1),
      'the same, classes weighted by how often they occur',
    ],
    [
      "Cohen's κ",
      m.kappa === null ? '–' : m.kappa.toFixed(3),
      'agreement beyond chance: 1 perfect, 0 guessing',
    ],
    [
      'ECE',
      m.ece === null ? '–' : m.ece.toFixed(4),
      'calibration error: how far "90 % sure" is from being right 9 in 10 (0 is perfect)',
    ],
  ];
  if (m.device.n > 0) {
    items.push(
      ['Device agrees', percent(m.device.agreement), "the phone's verdict matched the server's"],
      ['On-device accuracy', percent(m.device.accuracy), "share where the phone's verdict was the label"],
    );
  }
  const sources = m.labelSources;
  if (sources && sources.asked > 0) {
    items.push([
      'Asked labels',
      percent(sources.askedAccuracy),
      `server accuracy on the ${sources.asked} labels the app asked for where it was unsure; not in the figures above`,
    ]);
  }
  return `<dl class="cards">${items.map(([k, v, note]) => `<div><dt>${k}</dt><dd>${v}</dd><dd class="note">${note}</dd></div>`).join('')}</dl>${
    m.device.n > 0
      ? `<p class="muted small">On-device numbers from the ${m.device.n} labels that carried the phone's verdict; the server's accuracy on those: ${percent(m.device.serverAccuracy)}.</p>`
      : ''
  }`;
}

/**
 * A table that may be wider than a phone: scrolls sideways, with shadows at an edge where more is out
 * of view, and takes keyboard focus so that it can be scrolled without a pointer.
 */
function scrollRegion(labelledBy: string, table: string): string {
  return `<div class="scroll" role="group" tabindex="0" aria-labelledby="${labelledBy}">${table}</div>`;
}

function confusionTable(m: ClassificationMetrics, labelledBy: string): string {
  const { labels, matrix } = m.confusion;
  const head = labels.map((l) => `<th scope="col">${escapeHtml(l)}</th>`).join('');
  const rows = matrix
    .map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      const truth = labels[i] as string;
      const cells = row
        .map((count, j) => {
          // Shade by share of the row (the class's recall pattern), so rare classes show as clearly as common ones.
          const share = total === 0 ? 0 : count / total;
          const cls = `${i === j ? 'diag' : 'off'}${share > 0.55 ? ' strong' : ''}`;
          const title = `true ${truth}, predicted ${labels[j] as string}: ${count} (${percent(total === 0 ? null : share)} of ${truth})`;
          return `<td class="${cls}" style="--a:${share.toFixed(3)}" title="${escapeHtml(title)}">${count}</td>`;
        })
        .join('');
      return `<tr><th scope="row">${escapeHtml(truth)}</th>${cells}</tr>`;
    })
    .join('');
  return `<p class="muted small">Rows: true label; columns: the server's verdict. Shade: share of the row.</p>${scrollRegion(labelledBy, `<table class="heat"><thead><tr><td></td>${head}</tr></thead><tbody>${rows}</tbody></table>`)}`;
}

function classTable(m: ClassificationMetrics, id: string): string {
  const rows = m.classes
    .map(
      (c) =>
        `<tr><th scope="row">${escapeHtml(c.label)}</th><td>${percent(c.precision)}</td><td>${percent(c.recall)}</td><td>${percent(c.f1)}</td><td>${c.support}</td></tr>`,
    )
    .join('');
  const avg = (name: string, a: { precision: number; recall: number; f1: number }) =>
    `<tr><th scope="row">${name}</th><td>${percent(a.precision)}</td><td>${percent(a.recall)}</td><td>${percent(a.f1)}</td><td>${m.n}</td></tr>`;
  return `<span id="${id}" class="sr-only">Per-class numbers</span>${scrollRegion(id, `<table class="numbers"><thead><tr><th scope="col">Class</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th><th scope="col">Support</th></tr></thead><tbody>${rows}</tbody><tfoot>${avg('Macro', m.macro)}${avg('Weighted', m.weighted)}</tfoot></table>`)}`;
}

function binsTable(m: ClassificationMetrics): string {
  const rows = m.calibration.bins
    .filter((b) => b.count > 0)
    .map(
      (b) =>
        `<tr><th scope="row">${b.lower === b.upper ? '1' : `${b.lower.toFixed(3)}–${b.upper.toFixed(3)}`}</th><td>${b.count}</td><td>${percent(b.accuracy)}</td><td>${percent(b.confidence)}</td></tr>`,
    )
    .join('');
  return `<table class="numbers"><thead><tr><th scope="col">Confidence</th><th scope="col">n</th><th scope="col">Accuracy</th><th scope="col">Mean conf.</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function daysTable(m: ModelMetrics, id: string): string {
  const rows = m.days
    .map(
      (d) =>
        `<tr><th scope="row">${d.day}</th><td>${d.n}</td><td>${percent(d.accuracy)}</td><td>${percent(d.n === 0 ? null : d.macro.f1)}</td><td>${d.coverage.predictionsWithoutLabel}</td></tr>`,
    )
    .join('');
  return `<span id="${id}" class="sr-only">Numbers by day</span>${scrollRegion(id, `<table class="numbers"><thead><tr><th scope="col">Day</th><th scope="col">Labelled</th><th scope="col">Accuracy</th><th scope="col">Macro F1</th><th scope="col">Unlabelled</th></tr></thead><tbody>${rows}</tbody></table>`)}`;
}

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d5dae0;--card:#f4f6f8;--c1:#2563eb;--c2:#d97706;--c3:#059669;--heat:37 99 235;--off:220 38 38}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e9ed;--muted:#9aa4af;--line:#2c333b;--card:#1a1f25;--c1:#60a5fa;--c2:#fbbf24;--c3:#34d399;--heat:37 99 235;--off:200 30 30}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:960px;padding:16px;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{margin:0 0 4px;font-size:1.6rem}h2{margin:32px 0 8px;font-size:1.3rem;border-top:1px solid var(--line);padding-top:16px}h3{margin:20px 0 8px;font-size:1.05rem}
.muted{color:var(--muted)}.small{font-size:.85rem}
code{font-size:.9em}
nav ul{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none}a{color:var(--c1);text-underline-offset:.15em}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px;margin:8px 0}
.cards div{background:var(--card);border-radius:8px;padding:8px 10px}.cards dt{font-size:.8rem;color:var(--muted)}.cards dd{margin:0;font-size:1.25rem;font-variant-numeric:tabular-nums}.cards dd.note{font-size:.75rem;line-height:1.3;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:linear-gradient(to right,var(--bg) 30%,transparent) left/40px 100% no-repeat local,linear-gradient(to left,var(--bg) 30%,transparent) right/40px 100% no-repeat local,radial-gradient(farthest-side at 0 50%,rgb(0 0 0/.25),transparent) left/14px 100% no-repeat scroll,radial-gradient(farthest-side at 100% 50%,rgb(0 0 0/.25),transparent) right/14px 100% no-repeat scroll;background-color:var(--bg)}
.scroll:focus-visible,summary:focus-visible{outline:3px solid var(--c2);outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.empty{padding:12px;background:var(--card);border-radius:8px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
.numbers th,.numbers td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:right}.numbers th[scope=row]{text-align:left;font-weight:500}
.heat{margin:4px 0}.heat caption{text-align:left;caption-side:bottom;padding-top:4px}
.heat th{padding:4px 6px;font-weight:500;font-size:.85rem}.heat thead th{vertical-align:bottom}
.heat td{min-width:2.4em;padding:6px 4px;text-align:center;font-size:.85rem;border:1px solid var(--bg)}
.heat td.diag{background:rgb(var(--heat) / var(--a))}.heat td.off{background:rgb(var(--off) / var(--a))}.heat td.strong{color:#fff}
.chart{display:block;width:100%;height:auto;max-width:640px}.chart.square{max-width:340px}
.chart text{font-size:11px}.axis{fill:var(--muted)}.small{font-size:.85rem}
.grid{stroke:var(--line);stroke-width:1}.diagonal{stroke:var(--muted);stroke-dasharray:4 4}
.tick{stroke:var(--fg);stroke-width:2}.line{fill:none;stroke:var(--c2);stroke-width:2}
.c1{fill:var(--c1)}.c2{fill:var(--c2)}.c3{fill:var(--c3)}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:16px}figure{margin:0}
details{margin:4px 0 8px}summary{display:list-item;cursor:pointer;color:var(--muted);min-height:44px;padding:10px 0}
`;
