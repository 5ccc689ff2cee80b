import { describe, expect, it } from 'vitest';
import { assignPart, extendSplit, userSplitSchema } from './user-split.ts';

const ids = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i + offset).padStart(12, '0')}`);
const fresh = { model: 'digits', splitKey: 'digits-split-1', evalShare: 0.3 };
const now = new Date('2026-12-02T08:00:00Z');

describe("the users' train/eval split", () => {
  it('holds out about the configured share, by a keyed hash of the uploadId', () => {
    const { split } = extendSplit(null, fresh, ids(2000), now);
    const held = Object.values(split.assignments).filter((p) => p === 'eval').length;
    expect(held / 2000).toBeGreaterThan(0.26);
    expect(held / 2000).toBeLessThan(0.34);
    expect(userSplitSchema.parse(split)).toEqual(split);
  });

  it('gives an upload the same part whatever else is in the batch', () => {
    const alone = extendSplit(null, fresh, ids(1, 500), now).split.assignments;
    const among = extendSplit(null, fresh, ids(1000), now).split.assignments;
    const id = ids(1, 500)[0] as string;
    expect(alone[id]).toBe(among[id]);
    expect(assignPart(id, 'another-key', 0.3)).toMatch(/^(train|eval)$/);
  });

  it('keeps earlier assignments and only assigns new uploads', () => {
    const first = extendSplit(null, fresh, ids(100), now).split;
    // Even a forged flip of one earlier assignment is kept: the record, not the hash, is the truth.
    const id = ids(1)[0] as string;
    const flipped = {
      ...first,
      assignments: {
        ...first.assignments,
        [id]: first.assignments[id] === 'eval' ? ('train' as const) : ('eval' as const),
      },
    };
    const { split, added } = extendSplit(
      flipped,
      { ...fresh, splitKey: 'changed', evalShare: 0.9 },
      ids(150),
      now,
    );
    expect(added).toEqual(ids(50, 100));
    expect(split.assignments[id]).toBe(flipped.assignments[id]);
    expect(split.splitKey).toBe('digits-split-1');
    for (const other of ids(99, 1)) expect(split.assignments[other]).toBe(first.assignments[other]);
  });

  it('never puts an upload in both parts', () => {
    const { split } = extendSplit(null, fresh, [...ids(300), ...ids(300)], now);
    expect(Object.keys(split.assignments)).toHaveLength(300);
  });

  it('refuses a split file of another model', () => {
    const { split } = extendSplit(null, fresh, ids(3), now);
    expect(() => extendSplit(split, { ...fresh, model: 'fashion' }, ids(3), now)).toThrow(
      /for model digits, not fashion/,
    );
  });
});
