import type { ModelDecision } from '../../contracts/model-decision.ts';

/**
 * The version a rollback returns to from `current`: the version the latest promotion *to* `current`
 * replaced. Rolling back twice walks the chain (v4 → v3 → v2), since each version's own promotion says
 * what it replaced. Null when `current` never was promoted (the base version): nothing to go back to.
 */
export function rollbackTarget(decisions: readonly ModelDecision[], current: string): string | null {
  const promotions = decisions
    .filter((d) => d.kind === 'promotion' && d.outcome === 'promoted' && d.toVersion === current)
    .sort((a, b) => Date.parse(a.decidedAt) - Date.parse(b.decidedAt));
  return promotions.at(-1)?.fromVersion ?? null;
}
