import { describe, expect, it } from 'vitest';
import { runGate } from './gate.ts';
import type { GateItem } from './gate-sets.ts';
import type { ItemVerdict } from './model-scorer.ts';

const labels = ['0', '1', '2'];
const verdict = (label: number, flagged = false): ItemVerdict => ({ label, confidence: 0.9, flagged });
const input = new Float32Array(784);

/** 300 MNIST digits both read right, 100 non-digits both flag; the users' labels as given. */
function inputs(userCurrent: number[], userCandidate: number[], candidateMnistWrong = 0) {
  const items: GateItem[] = [
    ...Array.from({ length: 300 }, (_, i) => ({ set: 'mnist-held-out', truth: i % 3, input })),
    ...Array.from({ length: 100 }, () => ({ set: 'ood-clothing', truth: null, input })),
  ];
  const current = items.map((item) => (item.truth === null ? verdict(0, true) : verdict(item.truth)));
  const candidate = items.map((item, i) =>
    item.truth === null
      ? verdict(0, true)
      : verdict(i < candidateMnistWrong ? (item.truth + 1) % 3 : item.truth),
  );
  const truth = userCurrent.map((_, i) => String(i % 3));
  return {
    items,
    current,
    candidate,
    user: {
      truth,
      current: userCurrent.map((l) => verdict(l)),
      candidate: userCandidate.map((l) => verdict(l)),
    },
    labels,
  };
}

describe('the promotion gate', () => {
  const right = Array.from({ length: 90 }, (_, i) => i % 3);
  const wrong = right.map((l) => (l + 1) % 3);
  const half = right.map((l, i) => (i % 2 ? l : (l + 1) % 3));

  it("promotes a candidate better on the users' labels and no worse elsewhere", () => {
    const result = runGate(inputs(half, right));
    expect(result.passed).toBe(true);
    const user = result.checks[0];
    // The point figures come from the accuracy job's metrics code.
    expect(user).toMatchObject({ name: 'user-labels', current: 0.5, candidate: 1, items: 90 });
    expect(result.checks.map((c) => c.name)).toEqual([
      'user-labels',
      'mnist-held-out',
      'ood-non-digits-flagged',
      'ood-digits-flagged',
    ]);
  });

  it("refuses a candidate no better on the users' labels", () => {
    const result = runGate(inputs(half, half));
    expect(result.passed).toBe(false);
    expect(result.checks[0]?.passed).toBe(false);
  });

  it("refuses a candidate that learned the users' labels but forgot MNIST", () => {
    const result = runGate(inputs(wrong, right, 30));
    expect(result.checks[0]?.passed).toBe(true);
    expect(result.checks.find((c) => c.name === 'mnist-held-out')?.passed).toBe(false);
    expect(result.passed).toBe(false);
  });
});
