import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeIssue } from '../contracts/zod-issues.ts';

/** The local stack's two HMAC keys (the gateway's and the Lambda's environment in AWS). */
export interface StackSecrets {
  readonly resultSigningSecret: string;
  readonly uploadTokenSecret: string;
}

const stackSecretsSchema = z.object({
  resultSigningSecret: z.string().min(32),
  uploadTokenSecret: z.string().min(32),
});

/** `.data/secrets.json` exists but cannot be used; replacing it would void every token the app holds. */
export class CorruptSecretsError extends Error {
  override readonly name = 'CorruptSecretsError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(
      `${file} is not a usable secrets file (${reason}). It was left as it is: replacing it would ` +
        'invalidate every upload token the app holds. Restore it from a backup, or delete it to make new ' +
        'secrets (labels the app has not synced yet will then be refused).',
    );
  }
}

/**
 * The local stack's secrets, made on first start and kept beside the data, so upload tokens the app
 * holds (for labels it syncs later) stay valid across restarts. Only a missing file is created; one
 * that does not parse stops start-up with CorruptSecretsError. The file is created exclusively
 * (`wx`), so two processes starting at once cannot write two different sets.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<StackSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  const existing = await readSecrets(file);
  if (existing) return existing;
  const secrets: StackSecrets = {
    resultSigningSecret: randomBytes(32).toString('base64url'),
    uploadTokenSecret: randomBytes(32).toString('base64url'),
  };
  await mkdir(dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: link() fails if the file exists,
  // so two processes starting at once agree on one set, and no reader ever sees a half-written file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
    return secrets;
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = await readSecrets(file);
      if (theirs) return theirs;
    }
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function readSecrets(file: string): Promise<StackSecrets | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CorruptSecretsError(file, 'not valid JSON');
  }
  const parsed = stackSecretsSchema.safeParse(json);
  if (!parsed.success) {
    throw new CorruptSecretsError(file, describeIssue(parsed.error, 'file'));
  }
  return parsed.data;
}
