import { describe, expect, it } from 'vitest';
import { pairedBootstrap } from './bootstrap.ts';

describe('paired bootstrap of candidate − current', () => {
  it('gives the difference of the means and an interval around it', () => {
    const current = Array.from({ length: 400 }, (_, i) => (i % 10 < 7 ? 1 : 0));
    const candidate = Array.from({ length: 400 }, (_, i) => (i % 10 < 8 ? 1 : 0));
    const d = pairedBootstrap(current, candidate);
    expect(d.estimate).toBeCloseTo(0.1, 10);
    expect(d.low).toBeGreaterThan(0.06);
    expect(d.high).toBeLessThan(0.14);
    expect(d.low).toBeLessThan(d.estimate);
    expect(d.high).toBeGreaterThan(d.estimate);
  });

  it('has a zero-width interval when both models agree on every item', () => {
    const same = Array.from({ length: 100 }, (_, i) => i % 3 && 1);
    expect(pairedBootstrap(same, same)).toMatchObject({ estimate: 0, low: 0, high: 0 });
  });

  it('is reproducible for a seed and differs for another', () => {
    const a = Array.from({ length: 200 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const b = Array.from({ length: 200 }, (_, i) => ((i * 5) % 4 === 0 ? 1 : 0));
    const options = { resamples: 500, confidence: 0.95, seed: 1 };
    expect(pairedBootstrap(a, b, options)).toEqual(pairedBootstrap(a, b, options));
    expect(pairedBootstrap(a, b, { ...options, seed: 2 }).low).not.toBe(pairedBootstrap(a, b, options).low);
  });

  it('refuses unpaired scores', () => {
    expect(() => pairedBootstrap([1, 0], [1])).toThrow(/2 current scores but 1 candidate/);
  });
});
