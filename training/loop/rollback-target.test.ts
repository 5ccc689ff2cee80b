import { describe, expect, it } from 'vitest';
import type { ModelDecision } from '../../contracts/model-decision.ts';
import { rollbackTarget } from './rollback-target.ts';

let clock = Date.parse('2026-12-02T08:00:00Z');
function decision(
  kind: ModelDecision['kind'],
  outcome: ModelDecision['outcome'],
  from: string,
  to: string,
): ModelDecision {
  clock += 60_000;
  return {
    decisionId: crypto.randomUUID(),
    model: 'digits',
    kind,
    outcome,
    fromVersion: from,
    toVersion: to,
    decidedAt: new Date(clock).toISOString(),
    by: 'test',
    summary: 'test',
    checks: [],
  };
}

describe('the version a rollback returns to', () => {
  const history = [
    decision('promotion', 'promoted', '2', '3'),
    decision('promotion', 'refused', '3', '4'),
    decision('promotion', 'promoted', '3', '5'),
  ];

  it('is the version the current default replaced', () => {
    expect(rollbackTarget(history, '5')).toBe('3');
  });

  it('walks back the chain on a second rollback', () => {
    const after = [...history, decision('rollback', 'rolled-back', '5', '3')];
    expect(rollbackTarget(after, '3')).toBe('2');
  });

  it('ignores refused candidates and has nothing for a version never promoted', () => {
    expect(rollbackTarget(history, '4')).toBeNull();
    expect(rollbackTarget(history, '2')).toBeNull();
  });
});
