import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalStack } from './local-stack.ts';
import { CorruptSecretsError, loadOrCreateSecrets } from './stack-secrets.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the local stack secrets file', () => {
  it('is made on first start, readable by its owner only, and read back unchanged after', async () => {
    const first = await loadOrCreateSecrets(dir);
    expect(first.resultSigningSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.uploadTokenSecret).not.toBe(first.resultSigningSecret);
    expect((await stat(path.join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSecrets(dir)).toEqual(first);
  });

  it.each([
    ['not JSON', '{"resultSigningSecret": "abc'],
    ['a secret missing', JSON.stringify({ resultSigningSecret: 'x'.repeat(40) })],
    [
      'a secret too short',
      JSON.stringify({ resultSigningSecret: 'short', uploadTokenSecret: 'x'.repeat(40) }),
    ],
  ])(
    'stops start-up with a clear message, leaving the file as it was, when it is %s',
    async (_what, text) => {
      const file = path.join(dir, 'secrets.json');
      await writeFile(file, text);
      const load = loadOrCreateSecrets(dir);
      await expect(load).rejects.toThrow(CorruptSecretsError);
      await expect(load).rejects.toThrow(
        /secrets\.json is not a usable secrets file .*Restore it .* or delete it/,
      );
      expect(await readFile(file, 'utf8')).toBe(text);
    },
  );

  it('stops the whole stack before anything listens', async () => {
    await writeFile(path.join(dir, 'secrets.json'), 'garbage');
    await expect(
      startLocalStack({ dataDir: dir, s3Port: 0, gpuHostPort: 0, gatewayPort: 0, logLevel: 'silent' }),
    ).rejects.toThrow(CorruptSecretsError);
  });
});
