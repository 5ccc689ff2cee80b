import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnistDigitImage, notAnImage, pngBomb } from '../../test/support/images.ts';
import { readGpuHostConfig } from '../config.ts';
import { type RunningGpuHost, startGpuHost } from '../gpu-host.ts';

interface Golden {
  images: Array<{ label: number; pixels: number[]; probabilities: number[] }>;
}
const golden = JSON.parse(readFileSync('models/digits/1/golden.json', 'utf8')) as Golden;

describe('gpu-host over the Open Inference Protocol', () => {
  let host: RunningGpuHost;
  beforeAll(async () => {
    host = await startGpuHost(readGpuHostConfig({ GPU_HOST_PORT: '0', LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => {
    await host?.close();
  });

  const get = (path: string) => fetch(`${host.url}${path}`);
  const postJson = (path: string, body: unknown) =>
    fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const postBytes = (path: string, body: Uint8Array) =>
    fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(body),
    });

  it('is live and ready', async () => {
    expect((await get('/v2/health/live')).status).toBe(200);
    expect((await get('/v2/health/ready')).status).toBe(200);
  });

  it('describes the digits model with a dynamic batch axis', async () => {
    const response = await get('/v2/models/digits');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      name: 'digits',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
    });
  });

  it('infers a batch of JSON tensors and matches the golden outputs', async () => {
    const data = golden.images.flatMap((img) => img.pixels.map((v) => v / 255));
    const response = await postJson('/v2/models/digits/infer', {
      id: 'golden-batch',
      inputs: [{ name: 'input', shape: [golden.images.length, 1, 28, 28], datatype: 'FP32', data }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      id: string;
      outputs: Array<{ shape: number[]; data: number[] }>;
    };
    expect(body.id).toBe('golden-batch');
    expect(body.outputs[0]?.shape).toEqual([golden.images.length, 10]);
    const out = body.outputs[0]?.data ?? [];
    golden.images.forEach(({ probabilities }, i) => {
      probabilities.forEach((p, j) => {
        expect(out[i * 10 + j]).toBeCloseTo(p, 4);
      });
    });
  });

  it('names the wrong field of a bad infer request', async () => {
    const wrongShape = await postJson('/v2/models/digits/infer', {
      inputs: [{ name: 'input', shape: [1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
    });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: string }).error).toMatch(
      /^inputs\[0\]\.shape: expected \[batch, 1, 28, 28\]/,
    );

    const wrongType = await postJson('/v2/models/digits/infer', {
      inputs: [{ name: 'input', shape: [1, 1, 28, 28], datatype: 'INT8', data: new Array(784).fill(0) }],
    });
    expect(((await wrongType.json()) as { error: string }).error).toBe(
      'inputs[0].datatype: expected FP32, got INT8',
    );

    const shortData = await postJson('/v2/models/digits/infer', {
      inputs: [{ name: 'input', shape: [2, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
    });
    expect(((await shortData.json()) as { error: string }).error).toMatch(/needs 1568 elements, got 784/);
  });

  it('answers 404 for an unknown model', async () => {
    const response = await get('/v2/models/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: expect.stringContaining('"nope"') });
  });

  it('classifies encoded images of every accepted format', async () => {
    for (const format of ['png', 'jpeg', 'webp', 'gif'] as const) {
      const response = await postBytes(
        '/v2/models/digits/classify?top_k=3',
        await mnistDigitImage(4, 1, format),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ model: 'digits', modelVersion: '1', label: '4' });
    }
  });

  it('refuses what is not an image with 415 and a bomb with 413, quickly', async () => {
    const text = await postBytes('/v2/models/digits/classify', notAnImage());
    expect(text.status).toBe(415);
    const bomb = await pngBomb();
    const started = performance.now();
    const refused = await postBytes('/v2/models/digits/classify', bomb);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'image_too_large' });
    // Not a timing assertion on speed, only that the refusal happened before any decode (seconds).
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rejects a top_k outside 1..classes', async () => {
    const response = await postBytes('/v2/models/digits/classify?top_k=11', await mnistDigitImage(4, 1));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'top_k: must be an integer from 1 to 10, got "11"',
    });
  });
});
