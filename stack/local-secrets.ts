import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface StackSecrets {
  readonly resultSigningSecret: string;
  readonly uploadTokenSecret: string;
}

/**
 * The local stack's secrets, made on first start and kept in `<dataDir>/secrets.json`, so upload
 * tokens the app holds stay valid across restarts and the separately started processes (start:s3,
 * start:gateway) share them. Created exclusively: two processes starting at once agree on one file.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<StackSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StackSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: StackSecrets = {
    resultSigningSecret: randomBytes(32).toString('base64url'),
    uploadTokenSecret: randomBytes(32).toString('base64url'),
  };
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process made it first; a moment later its content is complete.
    for (let i = 0; i < 50; i++) {
      try {
        return JSON.parse(await readFile(file, 'utf8')) as StackSecrets;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    throw new Error(`${file} exists but cannot be read as JSON: fix or delete it`);
  }
}
