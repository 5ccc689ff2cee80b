import type { GateCheck } from '../../contracts/model-decision.ts';
import { addScored, emptyGroupCounts } from '../../mr/counts.ts';
import { computeMetrics } from '../../mr/metrics.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP } from './bootstrap.ts';
import { type GateCheckSpec, scoreCheck } from './gate-check.ts';
import type { GateItem } from './gate-sets.ts';
import type { ItemVerdict } from './model-scorer.ts';

/**
 * The gate's margins, in the metric's units (see training/loop/README.md for why these sizes): how
 * much worse than the current version the worst end of the 95 % interval may be on each set.
 */
export const GATE_MARGINS = Object.freeze({
  'mnist-held-out': 0.01,
  'photos-mnist': 0.015,
  'photos-fonts': 0.02,
  'ood-non-digits-flagged': 0.03,
  'ood-digits-flagged': 0.01,
});
export type GateMargins = Record<keyof typeof GATE_MARGINS, number>;

/** Both models' verdicts on the same items, in the same order. */
export interface GateInputs {
  readonly items: readonly GateItem[];
  readonly current: readonly (ItemVerdict | null)[];
  readonly candidate: readonly (ItemVerdict | null)[];
  /** The users' held-out labels: the eval part of the split. */
  readonly user: {
    readonly truth: readonly string[];
    readonly current: readonly (ItemVerdict | null)[];
    readonly candidate: readonly (ItemVerdict | null)[];
  };
  readonly labels: readonly string[];
}

export interface GateResult {
  readonly checks: GateCheck[];
  readonly passed: boolean;
}

/**
 * All the gate's checks: (a) better on the users' held-out labels, scored by the accuracy job's own
 * code (mr/counts.ts, mr/metrics.ts); not worse within a margin on (b) MNIST held out, (c) the photo
 * sets, (d) the share of non-digits flagged and the share of real digits wrongly flagged. The
 * candidate passes only when every check passes.
 */
export function runGate(
  inputs: GateInputs,
  margins: GateMargins = GATE_MARGINS,
  bootstrap: BootstrapOptions = DEFAULT_BOOTSTRAP,
): GateResult {
  const checks: GateCheck[] = [userLabelsCheck(inputs, bootstrap)];
  const { items, current, candidate } = inputs;
  const pick = (
    keep: (item: GateItem) => boolean,
    score: (v: ItemVerdict | null, item: GateItem) => number,
  ) => {
    const idx = items.flatMap((item, i) => (keep(item) ? [i] : []));
    return {
      current: idx.map((i) => score(current[i] ?? null, items[i] as GateItem)),
      candidate: idx.map((i) => score(candidate[i] ?? null, items[i] as GateItem)),
    };
  };
  const right = (v: ItemVerdict | null, item: GateItem) => (v !== null && v.label === item.truth ? 1 : 0);
  // A blank page that preprocessing rejects counts as flagged: the user gets no digit either way.
  const flagged = (v: ItemVerdict | null) => (v === null || v.flagged ? 1 : 0);
  for (const set of ['mnist-held-out', 'photos-mnist', 'photos-fonts'] as const) {
    const scores = pick((item) => item.set === set, right);
    if (scores.current.length === 0) continue;
    const spec: GateCheckSpec = {
      name: set,
      metric: 'top-1 accuracy',
      better: 'higher',
      rule: 'not-worse',
      margin: margins[set],
    };
    checks.push(scoreCheck(spec, scores.current, scores.candidate, bootstrap));
  }
  const ood = pick((item) => item.truth === null, flagged);
  checks.push(
    scoreCheck(
      {
        name: 'ood-non-digits-flagged',
        metric: 'share of non-digits flagged',
        better: 'higher',
        rule: 'not-worse',
        margin: margins['ood-non-digits-flagged'],
      },
      ood.current,
      ood.candidate,
      bootstrap,
    ),
  );
  const digits = pick((item) => item.truth !== null, flagged);
  checks.push(
    scoreCheck(
      {
        name: 'ood-digits-flagged',
        metric: 'share of real digits flagged',
        better: 'lower',
        rule: 'not-worse',
        margin: margins['ood-digits-flagged'],
      },
      digits.current,
      digits.candidate,
      bootstrap,
    ),
  );
  return { checks, passed: checks.every((c) => c.passed) };
}

/** (a): per-item right/wrong for the bootstrap; the point figures from mr/metrics.ts computeMetrics. */
function userLabelsCheck(inputs: GateInputs, bootstrap: BootstrapOptions): GateCheck {
  const { truth, current, candidate } = inputs.user;
  const score = (verdicts: readonly (ItemVerdict | null)[]) => {
    const counts = emptyGroupCounts();
    const perItem = truth.map((label, i) => {
      const v = verdicts[i];
      if (!v) return 0;
      const verdict = inputs.labels[v.label] as string;
      addScored(counts, { truth: label, verdict, confidence: v.confidence });
      return verdict === label ? 1 : 0;
    });
    return { perItem, accuracy: computeMetrics(counts, inputs.labels).accuracy };
  };
  const a = score(current);
  const b = score(candidate);
  const check = scoreCheck(
    {
      name: 'user-labels',
      metric: 'top-1 accuracy (mr/metrics.ts)',
      better: 'higher',
      rule: 'better',
      margin: 0,
    },
    a.perItem,
    b.perItem,
    bootstrap,
  );
  // Every user eval item has an input, so computeMetrics sees every item and agrees with the mean.
  return { ...check, current: a.accuracy ?? 0, candidate: b.accuracy ?? 0 };
}
