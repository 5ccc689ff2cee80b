import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HmacKeys } from '../contracts/hmac-keys.ts';

export type { HmacKeys };

/** How long one GetSecretValue may take before start-up fails with a clear error. */
export const SECRET_READ_TIMEOUT_MS = 3_000;
const MIN_KEY_LENGTH = 32;

/** Parses a secret string into keys; names the secret (never its value) when it is unusable. */
export function parseHmacKeys(secretString: string, name: string): HmacKeys {
  let keys: HmacKeys;
  if (secretString.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(secretString);
    } catch {
      throw new Error(`${name}: the secret looks like JSON but does not parse`);
    }
    const { current, previous } = (json ?? {}) as { current?: unknown; previous?: unknown };
    if (typeof current !== 'string') throw new Error(`${name}: the secret's JSON needs a "current" key`);
    if (previous !== undefined && typeof previous !== 'string') {
      throw new Error(`${name}: "previous" must be a string`);
    }
    keys = { current, previous: previous === '' ? undefined : previous };
  } else {
    keys = { current: secretString };
  }
  for (const [which, key] of Object.entries(keys)) {
    if (key !== undefined && key.length < MIN_KEY_LENGTH) {
      throw new Error(`${name}: the ${which} key must be at least ${MIN_KEY_LENGTH} characters`);
    }
  }
  return Object.freeze(keys);
}

export type SecretReader = (secretId: string, signal: AbortSignal) => Promise<string>;

/** Reads a secret string with the SDK (the role's credentials); one client per process. */
export function secretsManagerReader(region: string): SecretReader {
  let client: SecretsManagerClient | undefined;
  return async (secretId, signal) => {
    client ??= new SecretsManagerClient({ region });
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }), {
      abortSignal: signal,
    });
    if (answer.SecretString === undefined) throw new Error(`${secretId} holds no SecretString`);
    return answer.SecretString;
  };
}

const cache = new Map<string, Promise<HmacKeys>>();

/**
 * The keys named by a deployable's environment: `<NAME>` holds them directly (the local stack,
 * tests), `<NAME>_ARN` names a Secrets Manager secret read once per process and cached (AWS). A
 * rotated secret reaches a process when it next starts: a new Lambda environment, a gateway restart.
 */
export async function loadHmacKeys(
  name: string,
  env: NodeJS.ProcessEnv,
  read: SecretReader = secretsManagerReader(env.AWS_REGION ?? 'us-east-1'),
): Promise<HmacKeys> {
  const direct = env[name];
  const arn = env[`${name}_ARN`];
  if (direct !== undefined && direct !== '') return parseHmacKeys(direct, name);
  if (arn === undefined || arn === '')
    throw new Error(`set ${name} (the key) or ${name}_ARN (a Secrets Manager secret)`);
  let keys = cache.get(arn);
  if (keys === undefined) {
    keys = read(arn, AbortSignal.timeout(SECRET_READ_TIMEOUT_MS)).then(
      (value) => parseHmacKeys(value, `${name}_ARN`),
      (error: unknown) => {
        throw new Error(`could not read ${name}_ARN from Secrets Manager: ${(error as Error).message}`);
      },
    );
    // A failed read is not cached: the next start-up tries again.
    keys.catch(() => cache.delete(arn));
    cache.set(arn, keys);
  }
  return keys;
}
