import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readServingPolicy } from './serving-policy-file.ts';

describe('readServingPolicy', () => {
  let repository: string;
  beforeEach(async () => {
    repository = await mkdtemp(path.join(tmpdir(), 'pictor-policy-'));
    await mkdir(path.join(repository, 'digits'));
  });
  afterEach(async () => {
    await rm(repository, { recursive: true, force: true });
  });
  const write = (text: string) => writeFile(path.join(repository, 'digits', 'serving.json'), text);
  const policy = {
    model: 'digits',
    defaultVersion: '1',
    changedAt: '2026-12-01T10:00:00.000Z',
    decisionId: '6f1c2b9e-4a8d-4c3e-9b7a-2d5e8f0a1c3b',
  };

  it('reads no policy, and no error, when the file is absent', async () => {
    expect(await readServingPolicy(repository, 'digits')).toEqual({ policy: null });
  });

  it('reads a valid policy', async () => {
    await write(JSON.stringify(policy));
    expect(await readServingPolicy(repository, 'digits')).toEqual({ policy });
  });

  it('says what is wrong with a file that is not JSON, breaks the schema or names another model', async () => {
    await write('{"model":');
    expect((await readServingPolicy(repository, 'digits')).error).toMatch(/serving\.json is not JSON/);
    await write(JSON.stringify({ ...policy, defaultVersion: 'latest' }));
    expect((await readServingPolicy(repository, 'digits')).error).toMatch(
      /serving\.json: defaultVersion: version must be a positive integer/,
    );
    await write(JSON.stringify({ ...policy, model: 'fashion' }));
    expect(await readServingPolicy(repository, 'digits')).toEqual({
      policy: null,
      error: expect.stringMatching(/names model "fashion", but lies in digits\//),
    });
  });
});
