import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundledIndex, discoverModels, ModelRepositoryError } from './model-repository.ts';

const REPOSITORY = fileURLToPath(new URL('../../models', import.meta.url));

describe('discoverModels', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pictor-models-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Copies digits/1 to `<name>/<version>` with the manifest renamed to match. */
  async function addModel(name: string, version: string): Promise<void> {
    const target = path.join(dir, name, version);
    await cp(path.join(REPOSITORY, 'digits', '1'), target, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(target, 'manifest.json'), 'utf8'));
    await writeFile(path.join(target, 'manifest.json'), JSON.stringify({ ...manifest, name, version }));
  }

  it('finds the committed models with the URLs the app loads them from', async () => {
    const models = await discoverModels(REPOSITORY);
    expect(models.map((m) => m.entry.modelUrl)).toEqual(
      expect.arrayContaining(['/models/digits/2/model.onnx', '/models/fashion/1/model.onnx']),
    );
    const digits = models.find((m) => m.entry.name === 'digits');
    // Digits v2 carries its "not a digit" threshold to the device.
    expect(digits?.entry.outOfDistribution).toMatchObject({ subject: 'a handwritten digit' });
    const onnx = digits?.files.find((f) => f.fileName === 'models/digits/2/model.onnx');
    expect(
      createHash('sha256')
        .update(onnx?.source ?? new Uint8Array())
        .digest('hex'),
    ).toBe(digits?.entry.sha256);
  });

  it('takes a third model and the newest complete version of each, without code changes', async () => {
    await addModel('digits', '1');
    await addModel('digits', '2');
    await addModel('letters', '3');
    await mkdir(path.join(dir, 'letters', '10')); // newer but empty: skipped
    await mkdir(path.join(dir, 'not a model'), { recursive: true });

    const index = bundledIndex(await discoverModels(dir));

    expect(index.models.map((m) => `${m.name}/${m.version}`)).toEqual(['digits/2', 'letters/3']);
  });

  it('refuses a model whose bytes do not match its manifest', async () => {
    await addModel('digits', '1');
    await writeFile(path.join(dir, 'digits', '1', 'model.onnx'), 'not the model');
    await expect(discoverModels(dir)).rejects.toThrow(ModelRepositoryError);
  });

  it('refuses a manifest that names another model than its folder', async () => {
    await addModel('digits', '1');
    await cp(path.join(dir, 'digits'), path.join(dir, 'other'), { recursive: true });
    await expect(discoverModels(dir)).rejects.toThrow(/names digits\/1, but lies in other\/1/);
  });

  const writePolicy = (model: string, policy: unknown) =>
    writeFile(path.join(dir, model, 'serving.json'), JSON.stringify(policy));
  const policy = (defaultVersion: string) => ({
    model: 'digits',
    defaultVersion,
    changedAt: '2026-12-01T10:00:00.000Z',
    decisionId: '6f1c2b9e-4a8d-4c3e-9b7a-2d5e8f0a1c3b',
  });

  it("bundles the version the model's serving.json names, not the newest", async () => {
    await addModel('digits', '1');
    await addModel('digits', '2');
    await writePolicy('digits', policy('1'));
    const models = await discoverModels(dir);
    expect(bundledIndex(models).models.map((m) => `${m.name}/${m.version}`)).toEqual(['digits/1']);
    expect(models[0]?.files.map((f) => f.fileName)).toEqual([
      'models/digits/1/model.onnx',
      'models/digits/1/manifest.json',
    ]);
  });

  it('fails the build on an invalid serving.json, or one naming a version that is not there', async () => {
    await addModel('digits', '1');
    await writePolicy('digits', { ...policy('1'), decisionId: 'not-a-uuid' });
    await expect(discoverModels(dir)).rejects.toThrow(/serving\.json: decisionId/);
    await writePolicy('digits', policy('5'));
    await expect(discoverModels(dir)).rejects.toThrow(/names version 5/);
  });
});
