import { describe, expect, it } from 'vitest';
import { finalizeMetrics } from './finalize.ts';
import { renderReport } from './report-html.ts';
import { label, line, prediction } from './testing/records.ts';
import { simulateJobs } from './testing/simulate-jobs.ts';
import { syntheticLines } from './testing/synthetic-records.ts';

const metricsOf = (lines: readonly string[]) =>
  finalizeMetrics(simulateJobs(lines, { mappers: 2, reducers: 2, seed: 1 }), {
    runId: 'run-1',
    generatedAt: new Date('2026-03-08T12:00:00Z'),
    manifests: {},
  });

describe('report.html', () => {
  const html = renderReport(metricsOf(syntheticLines({ uploads: 600, seed: 5, malformedEvery: 40 })));

  it('is self-contained: nothing fetched, no script, styles inline', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    expect(html).toContain('<style>');
  });

  it('draws each model version: heat map, per-class bars, reliability diagram, accuracy by day', () => {
    for (const heading of ['Confusion matrix', 'Per class', 'Reliability', 'Accuracy by day']) {
      expect(html.split(`>${heading}<`).length - 1).toBe(3); // digits 1, digits 2, fashion 1
    }
    expect(html).toContain('class="heat"');
    expect((html.match(/<svg [^>]*role="img" aria-label="[^"]+"/g) ?? []).length).toBe(9);
  });

  it('follows the reader: phone width, light or dark', () => {
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('@media (prefers-color-scheme:dark)');
  });

  it('escapes labels people typed', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const page = renderReport(
      metricsOf([
        line(prediction(1, { label: '7' })),
        line(label(1, 1, { label: evil })),
        line(prediction(2, { label: '"&\'' })),
        line(label(2, 2)),
      ]),
    );
    expect(page).not.toContain(evil);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toMatch(/<img/);
  });

  it('gives a model version without labels a plain note instead of empty charts and 0 % figures', () => {
    const metrics = metricsOf(syntheticLines({ uploads: 60, seed: 2 }));
    const first = metrics.models[0];
    if (!first) throw new Error('the synthetic lines gave no model');
    const unlabelled = { ...first, version: '99', n: 0, correct: 0, accuracy: null };
    const page = renderReport({ ...metrics, models: [...metrics.models, unlabelled] });
    const section = page.slice(page.indexOf(`version 99`));
    expect(section.slice(0, 400)).toContain('No labelled predictions for this version yet');
    expect(section.slice(0, section.indexOf('</section>'))).not.toMatch(/<svg|<table|Macro F1/);
  });

  it('makes every sideways-scrolling table a focusable, named group (axe: scrollable-region-focusable)', () => {
    const regions = html.match(/<div class="scroll"[^>]*>/g) ?? [];
    expect(regions.length).toBeGreaterThan(0);
    for (const region of regions) {
      expect(region).toContain('tabindex="0"');
      expect(region).toMatch(/role="group" [^>]*aria-labelledby="[^"]+"/);
    }
    expect(html).not.toMatch(/<div class="scroll">/);
  });

  it('says in plain words what each figure means, κ and ECE included', () => {
    expect(html).toContain('agreement beyond chance');
    expect(html).toContain('calibration error');
  });

  it('says so when nothing is labelled yet', () => {
    expect(renderReport(metricsOf([]))).toContain('No model has labelled predictions yet.');
  });
});
