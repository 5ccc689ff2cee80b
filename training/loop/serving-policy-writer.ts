import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SERVING_POLICY_FILE,
  type ServingPolicy,
  servingPolicySchema,
} from '../../contracts/serving-policy.ts';

/**
 * Writes `<repository>/<model>/serving.json` whole or not at all: a temporary file in the same folder,
 * then a rename, so a host reading it never sees half a policy. (Read it with
 * platform/serving-policy-file.ts, as the hosts and the app build do.)
 */
export async function writeServingPolicy(repository: string, policy: ServingPolicy): Promise<void> {
  const checked = servingPolicySchema.parse(policy);
  const file = path.join(repository, checked.model, SERVING_POLICY_FILE);
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checked, null, 2)}\n`);
  await rename(temporary, file);
}
