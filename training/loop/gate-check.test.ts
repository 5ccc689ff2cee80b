import { describe, expect, it } from 'vitest';
import { gateCheckSchema } from '../../contracts/model-decision.ts';
import { scoreCheck } from './gate-check.ts';

const ones = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
const better = {
  name: 'user-labels',
  metric: 'accuracy',
  better: 'higher',
  rule: 'better',
  margin: 0,
} as const;
const notWorse = {
  name: 'mnist-held-out',
  metric: 'accuracy',
  better: 'higher',
  rule: 'not-worse',
  margin: 0.005,
} as const;

describe('a gate check', () => {
  it('passes `better` only when the whole interval is above zero', () => {
    const clear = scoreCheck(better, ones(200, 100), ones(200, 160));
    expect(clear.passed).toBe(true);
    expect(clear.difference.low).toBeGreaterThan(0);
    expect(gateCheckSchema.parse(clear)).toEqual(clear);
    const unclear = scoreCheck(better, ones(200, 100), ones(200, 103));
    expect(unclear).toMatchObject({ passed: false, reason: expect.stringMatching(/not shown better/) });
  });

  it('passes `not-worse` within the margin and fails beyond it', () => {
    const same = ones(750, 740);
    expect(scoreCheck(notWorse, same, same).passed).toBe(true);
    const worse = scoreCheck(notWorse, same, ones(750, 725));
    expect(worse).toMatchObject({
      passed: false,
      reason: expect.stringMatching(/beyond the margin of 0.50 points/),
    });
  });

  it('reads a `lower is better` metric the right way round', () => {
    const spec = {
      name: 'ood-digits-flagged',
      metric: 'share flagged',
      better: 'lower',
      rule: 'not-worse',
      margin: 0.01,
    } as const;
    expect(scoreCheck(spec, ones(500, 50), ones(500, 5)).passed).toBe(true);
    expect(scoreCheck(spec, ones(500, 5), ones(500, 50)).passed).toBe(false);
  });

  it('cannot show an improvement on an empty set', () => {
    expect(scoreCheck(better, [], []).passed).toBe(false);
    expect(scoreCheck(notWorse, [], []).passed).toBe(true);
  });
});
