import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGpuHost } from '../gpu-host.ts';
import { postInfer, readInferResponse, startTestHost, temporaryRepository } from './support.ts';

/** A repository like Triton's: several versions of a model, each folder its own model.onnx and config. */
describe('a model repository with several versions of a model', () => {
  let repository: Awaited<ReturnType<typeof temporaryRepository>>;
  let host: RunningGpuHost;

  beforeAll(async () => {
    repository = await temporaryRepository([
      { version: '1' },
      { version: '2', manifest: (m) => ({ ...m, displayName: 'Handwritten digits, second edition' }) },
      { model: 'clothes', from: 'fashion', version: '1' },
    ]);
    // A version folder that is not a model: left out, and said so in the index.
    await mkdir(path.join(repository.path, 'digits', '3'), { recursive: true });
    await writeFile(path.join(repository.path, 'digits', '3', 'manifest.json'), '{"name": "digits"}');
    host = await startTestHost({ MODEL_REPOSITORY: repository.path, MODEL_CONTROL_MODE: 'explicit' });
  });
  afterAll(async () => {
    await host?.close();
    await repository?.remove();
  });

  const request = {
    inputs: [{ name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
  };
  const versionOf = async (url: string) => {
    const response = await postInfer(url, request);
    expect(response.status).toBe(200);
    return (await readInferResponse(response)).json.model_version;
  };
  const index = async () =>
    (await fetch(`${host.url}/v2/repository/index`, { method: 'POST' }).then((r) => r.json())) as Array<{
      name: string;
      version: string;
      state: string;
      reason: string;
    }>;

  it('serves a model added by copying its folder, with no code change', async () => {
    const response = await fetch(`${host.url}/v2/models/clothes`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: 'clothes', versions: ['1'] });
  });

  it('lists the ready versions newest first and gives a request without a version the newest', async () => {
    const meta = await fetch(`${host.url}/v2/models/digits`).then((r) => r.json());
    expect(meta).toMatchObject({
      versions: ['2', '1'],
      parameters: { display_name: 'Handwritten digits, second edition' },
    });
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('2');
  });

  it('serves an older version when it is asked for', async () => {
    expect(await versionOf(`${host.url}/v2/models/digits/versions/1/infer`)).toBe('1');
    const meta = await fetch(`${host.url}/v2/models/digits/versions/1`).then((r) => r.json());
    expect(meta).toMatchObject({ parameters: { display_name: 'Handwritten digits' } });
    expect((await fetch(`${host.url}/v2/models/digits/versions/1/ready`)).status).toBe(200);
  });

  it('indexes every version, the broken one UNAVAILABLE with its reason', async () => {
    const entries = await index();
    expect(
      entries.filter((e) => e.name === 'digits').map(({ version, state }) => ({ version, state })),
    ).toEqual([
      { version: '3', state: 'UNAVAILABLE' },
      { version: '2', state: 'READY' },
      { version: '1', state: 'READY' },
    ]);
    expect(entries.find((e) => e.version === '3')?.reason).toMatch(/model\.onnx/);
    expect((await fetch(`${host.url}/v2/models/digits/versions/3/ready`)).status).toBe(404);
  });

  it('unloads a model and loads it again with a version added on disk', async () => {
    const unload = await fetch(`${host.url}/v2/repository/models/digits/unload`, { method: 'POST' });
    expect(unload.status).toBe(200);
    expect((await postInfer(`${host.url}/v2/models/digits/infer`, request)).status).toBe(404);
    expect((await fetch(`${host.url}/v2/models/digits/ready`)).status).toBe(404);
    expect(
      (await index()).filter((e) => e.name === 'digits' && e.state === 'UNAVAILABLE').map((e) => e.reason),
    ).toContain('unloaded');

    await repository.add({ version: '4' });
    const load = await fetch(`${host.url}/v2/repository/models/digits/load`, { method: 'POST' });
    expect(load.status).toBe(200);
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('4');
    expect(await fetch(`${host.url}/v2/models/digits`).then((r) => r.json())).toMatchObject({
      versions: ['4', '2', '1'],
    });
  });

  it('refuses to load a model that is not in the repository, or a name that is not a model name', async () => {
    const missing = await fetch(`${host.url}/v2/repository/models/absent/load`, { method: 'POST' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'model "absent" is not in the model repository' });
    const traversal = await fetch(`${host.url}/v2/repository/models/..%2F..%2Fetc/load`, { method: 'POST' });
    expect(traversal.status).toBe(400);
    expect(await traversal.json()).toMatchObject({ error: expect.stringMatching(/^model name: /) });
  });
});
