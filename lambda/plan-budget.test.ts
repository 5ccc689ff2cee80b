import { describe, expect, it } from 'vitest';
import { planBudget } from './handler.ts';

describe('planBudget', () => {
  it('ends before the function times out and keeps time for recording and delivery', () => {
    const now = 1_000_000;
    expect(planBudget(30_000, now)).toEqual({ deadline: now + 29_500, inferenceDeadline: now + 24_500 });
  });

  it('keeps a third of a short invocation for recording and delivery', () => {
    const now = 0;
    const budget = planBudget(3_000, now);
    expect(budget).toEqual({ deadline: 2_500, inferenceDeadline: 1_500 });
  });
});
