import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { modelNameSchema } from '../../contracts/uploads.ts';

/** Which part of the users' labels an upload belongs to: trained on, or held out for the gate. */
export type SplitPart = 'train' | 'eval';

/**
 * `retraining/<model>/split.json`: every labelled upload's part, assigned once and never changed. The
 * key and share are stored with it, so a later run assigns new uploads the same way even if the
 * defaults of the code change; uploads already listed keep their part whatever the key says.
 */
export const userSplitSchema = z.object({
  model: modelNameSchema,
  /** Secret-free seed of the keyed hash (HMAC-SHA256 of the uploadId), e.g. `digits-split-1`. */
  splitKey: z.string().min(1),
  /** Share of new uploads held out for evaluation, in (0, 1). */
  evalShare: z.number().gt(0).lt(1),
  updatedAt: z.iso.datetime({ offset: true }),
  assignments: z.record(z.uuid(), z.enum(['train', 'eval'])),
});
export type UserSplit = z.infer<typeof userSplitSchema>;

export const DEFAULT_EVAL_SHARE = 0.3;

/** `retraining/<model>/split.json` in the bucket. */
export function userSplitKey(model: string): string {
  return `retraining/${model}/split.json`;
}

/**
 * The part a new upload gets: the first 8 bytes of HMAC-SHA256(splitKey, uploadId) as a fraction in
 * [0, 1), below `evalShare` → `eval`. Deterministic, and independent of which other uploads exist, so
 * the assignment of one upload never depends on the order or the batch it arrived in.
 */
export function assignPart(uploadId: string, splitKey: string, evalShare: number): SplitPart {
  const digest = createHmac('sha256', splitKey).update(uploadId).digest();
  const fraction = Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
  return fraction < evalShare ? 'eval' : 'train';
}

/**
 * `previous` (or a new split with `splitKey`/`evalShare`) extended with every upload of `uploadIds`
 * not yet assigned. Earlier assignments are kept as they are; `added` lists the newly assigned.
 */
export function extendSplit(
  previous: UserSplit | null,
  fresh: { readonly model: string; readonly splitKey: string; readonly evalShare: number },
  uploadIds: Iterable<string>,
  now: Date,
): { split: UserSplit; added: string[] } {
  const base: UserSplit = previous ?? {
    model: fresh.model,
    splitKey: fresh.splitKey,
    evalShare: fresh.evalShare,
    updatedAt: now.toISOString(),
    assignments: {},
  };
  if (base.model !== fresh.model) {
    throw new Error(`the split file is for model ${base.model}, not ${fresh.model}`);
  }
  const assignments = { ...base.assignments };
  const added: string[] = [];
  for (const id of uploadIds) {
    if (assignments[id] !== undefined) continue;
    assignments[id] = assignPart(id, base.splitKey, base.evalShare);
    added.push(id);
  }
  return {
    split: { ...base, assignments, updatedAt: added.length ? now.toISOString() : base.updatedAt },
    added,
  };
}
