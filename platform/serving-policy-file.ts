import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SERVING_POLICY_FILE, type ServingPolicy, servingPolicySchema } from '../contracts/serving-policy.ts';
import { describeIssue } from '../contracts/zod-issues.ts';

/**
 * What `<repository>/<model>/serving.json` says: `policy` null when the file is absent (the newest
 * version is the default) or invalid (then `error` says why, and the caller falls back to the newest
 * rather than refuse to serve: a bad policy file must never take a model down).
 */
export interface ServingPolicyRead {
  readonly policy: ServingPolicy | null;
  readonly error?: string;
}

/** Reads and validates a model's serving policy (contracts/serving-policy.ts); never throws for its content. */
export async function readServingPolicy(repository: string, model: string): Promise<ServingPolicyRead> {
  const file = path.join(repository, model, SERVING_POLICY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { policy: null };
    return { policy: null, error: `${file} cannot be read: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { policy: null, error: `${file} is not JSON: ${(error as Error).message}` };
  }
  const parsed = servingPolicySchema.safeParse(json);
  if (!parsed.success) return { policy: null, error: `${file}: ${describeIssue(parsed.error, 'policy')}` };
  if (parsed.data.model !== model) {
    return { policy: null, error: `${file} names model "${parsed.data.model}", but lies in ${model}/` };
  }
  return { policy: parsed.data };
}
