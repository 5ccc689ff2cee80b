import type { GateCheck } from '../../contracts/model-decision.ts';
import { type BootstrapOptions, DEFAULT_BOOTSTRAP, pairedBootstrap } from './bootstrap.ts';

/** One comparison the gate makes, before it is scored. */
export interface GateCheckSpec {
  readonly name: string;
  readonly metric: string;
  readonly better: 'higher' | 'lower';
  readonly rule: 'better' | 'not-worse';
  /** Allowed loss for `not-worse`, in the metric's units; ignored by `better`. */
  readonly margin: number;
}

/**
 * Scores one check from per-item figures of both models on the same items (1/0: right/wrong, or
 * flagged/not). `better` passes when the whole interval of candidate − current lies on the good side
 * of 0; `not-worse` when its bad end stays within `margin`. An empty set cannot show anything: a
 * `better` check on it fails, a `not-worse` check passes and says so.
 */
export function scoreCheck(
  spec: GateCheckSpec,
  current: ArrayLike<number>,
  candidate: ArrayLike<number>,
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): GateCheck {
  const difference = pairedBootstrap(current, candidate, options);
  const items = current.length;
  const mean = (xs: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i] as number;
    return xs.length ? s / xs.length : 0;
  };
  // Oriented so that positive is an improvement whichever way the metric points.
  const sign = spec.better === 'higher' ? 1 : -1;
  const worstCase = sign === 1 ? difference.low : -difference.high;
  const pct = (x: number) => `${(x * 100).toFixed(2)} points`;
  let passed: boolean;
  let reason: string;
  if (items === 0) {
    passed = spec.rule === 'not-worse';
    reason = passed ? 'no items: nothing to compare (passes)' : 'no items: cannot show an improvement';
  } else if (spec.rule === 'better') {
    passed = worstCase > 0;
    reason = passed
      ? `better: even the worst end of the ${difference.confidence * 100}% interval improves by ${pct(worstCase)}`
      : `not shown better: the ${difference.confidence * 100}% interval reaches ${pct(worstCase)} (must stay above 0)`;
  } else {
    passed = worstCase >= -spec.margin;
    reason = passed
      ? `not worse: at worst ${pct(worstCase)}, within the margin of ${pct(spec.margin)}`
      : `worse: the ${difference.confidence * 100}% interval reaches ${pct(worstCase)}, beyond the margin of ${pct(spec.margin)}`;
  }
  return {
    name: spec.name,
    metric: spec.metric,
    better: spec.better,
    rule: spec.rule,
    margin: spec.rule === 'better' ? 0 : spec.margin,
    items,
    current: mean(current),
    candidate: mean(candidate),
    difference,
    passed,
    reason,
  };
}
