import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SERVING_POLICY_FILE,
  type ServingPolicy,
  servingPolicySchema,
} from '../../contracts/serving-policy.ts';

/** `<repository>/<model>/serving.json`. */
export function servingPolicyPath(repository: string, model: string): string {
  return path.join(repository, model, SERVING_POLICY_FILE);
}

/** The model's serving policy, or null when it has none (the newest version is the default). */
export async function readServingPolicy(repository: string, model: string): Promise<ServingPolicy | null> {
  const file = servingPolicyPath(repository, model);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = servingPolicySchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a valid serving policy: ${parsed.error.message}`);
  return parsed.data;
}

/** Writes the policy whole or not at all: a temporary file in the same folder, then a rename. */
export async function writeServingPolicy(repository: string, policy: ServingPolicy): Promise<void> {
  const checked = servingPolicySchema.parse(policy);
  const file = servingPolicyPath(repository, checked.model);
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checked, null, 2)}\n`);
  await rename(temporary, file);
}
