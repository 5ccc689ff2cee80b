import { z } from 'zod';
import { modelNameSchema } from './uploads.ts';

const versionSchema = z.string().regex(/^[1-9][0-9]*$/, 'version must be a positive integer');

/**
 * `models/<name>/serving.json` in the model repository: which version of a model is its default (what a
 * request naming no version gets, what the app bundles for the device). Written only by promotion and
 * rollback (training/loop/); read by gpu-host on start and on every `load` of the model, and by the
 * PWA build. Absent: the newest version is the default (Triton's behaviour), so a repository without
 * the learning loop keeps working as before. Every other version in the folder stays loadable by
 * naming it explicitly.
 */
export const servingPolicySchema = z.object({
  model: modelNameSchema,
  defaultVersion: versionSchema,
  changedAt: z.iso.datetime({ offset: true }),
  /** The decision record that set it (contracts/model-decision.ts). */
  decisionId: z.uuid(),
});
export type ServingPolicy = z.infer<typeof servingPolicySchema>;

export const SERVING_POLICY_FILE = 'serving.json';

/**
 * The default version among `versions` (version strings of the versions that are ready): the policy's,
 * when that version is among them, else the newest. Undefined when `versions` is empty.
 */
export function defaultVersion(
  versions: readonly string[],
  policy: Pick<ServingPolicy, 'defaultVersion'> | null,
): string | undefined {
  if (policy && versions.includes(policy.defaultVersion)) return policy.defaultVersion;
  return [...versions].sort((a, b) => Number(b) - Number(a))[0];
}
