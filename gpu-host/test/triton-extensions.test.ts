import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelManifestSchema } from '../../contracts/model-manifest.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import { readInferResponse, startTestHost } from './support.ts';

/**
 * What Triton's and KServe's own clients expect beyond the core protocol (issue 9): JSON health
 * bodies, `/v2/` and HEAD, Triton's model configuration and statistics extensions (perf_analyzer
 * reads both), compressed request bodies, load overrides refused, classification clamped and
 * printed as Triton prints it, and the unknown-method and duplicate-length refusals of the edge.
 */

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

const tensorRequest = (rows = 1, extra: Record<string, unknown> = {}) => ({
  inputs: [
    { name: 'input', shape: [rows, 1, 28, 28], datatype: 'FP32', data: new Array(rows * 784).fill(0.5) },
  ],
  ...extra,
});

describe('Triton and KServe client expectations', () => {
  let host: RunningGpuHost;
  let url: string;
  beforeAll(async () => {
    host = await startTestHost({ MODEL_CONTROL_MODE: 'explicit', MAX_REQUEST_BYTES: '100000' });
    url = host.url;
  });
  afterAll(async () => {
    await host?.close();
  });

  const infer = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${url}/v2/models/digits/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers /v2/ (the OpenAPI path, trailing slash) as /v2', async () => {
    const plain = await (await fetch(`${url}/v2`)).json();
    const slash = await fetch(`${url}/v2/`);
    expect(slash.status).toBe(200);
    expect(await slash.json()).toEqual(plain);
  });

  it('answers HEAD wherever GET is answered, with the length and no body', async () => {
    for (const path of ['/v2', '/v2/', '/v2/health/live', '/v2/health/ready', '/v2/models/digits']) {
      const get = await fetch(`${url}${path}`);
      const getBody = await get.arrayBuffer();
      const head = await fetch(`${url}${path}`, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      expect(head.headers.get('content-length'), path).toBe(String(getBody.byteLength));
      expect((await head.arrayBuffer()).byteLength, path).toBe(0);
    }
  });

  it('answers methods a path does not take with 405 and Allow', async () => {
    const put = await fetch(`${url}/v2/models/digits/infer`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    expect(await put.json()).toMatchObject({ code: 'method_not_allowed' });
    const del = await fetch(`${url}/v2/health/live`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });

  it("serves the model configuration in Triton's shape", async () => {
    const manifest = modelManifestSchema.parse(
      JSON.parse(readFileSync('models/digits/1/manifest.json', 'utf8')),
    );
    for (const path of ['/v2/models/digits/config', '/v2/models/digits/versions/1/config']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.json()).toMatchObject({
        name: 'digits',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        max_batch_size: manifest.maxBatchSize,
        input: [{ name: 'input', data_type: 'TYPE_FP32', format: 'FORMAT_NONE', dims: [1, 28, 28] }],
        output: [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: [10] }],
        dynamic_batching: {
          max_queue_delay_microseconds: manifest.dynamicBatching.maxQueueDelayMicroseconds,
        },
        instance_group: [{ kind: 'KIND_CPU', count: 1 }],
      });
    }
    expect((await fetch(`${url}/v2/models/nope/config`)).status).toBe(404);
  });

  it("counts requests, queueing and runs in Triton's statistics shape", async () => {
    const before = (await (await fetch(`${url}/v2/models/digits/versions/1/stats`)).json()) as TritonStats;
    const entry = before.model_stats[0];
    expect(entry).toMatchObject({ name: 'digits', version: '1' });
    for (let i = 0; i < 3; i++) expect((await infer(JSON.stringify(tensorRequest(2)))).status).toBe(200);
    expect((await infer('{"inputs": 5}')).status).toBe(400);

    const response = await fetch(`${url}/v2/models/digits/stats`);
    expect(response.status).toBe(200);
    const after = ((await response.json()) as TritonStats).model_stats[0] as TritonStatsEntry;
    const was = entry as TritonStatsEntry;
    expect(after.inference_count - was.inference_count).toBe(6);
    expect(after.execution_count - was.execution_count).toBe(3);
    expect(after.inference_stats.success.count - was.inference_stats.success.count).toBe(3);
    expect(after.inference_stats.fail.count - was.inference_stats.fail.count).toBe(1);
    expect(after.inference_stats.queue.count - was.inference_stats.queue.count).toBe(3);
    expect(after.inference_stats.compute_infer.ns).toBeGreaterThan(was.inference_stats.compute_infer.ns);
    expect(after.batch_stats.find((b) => b.batch_size === 2)?.compute_infer.count).toBeGreaterThanOrEqual(3);
    expect(after.last_inference).toBeGreaterThan(0);

    // A statistics request that names no model gets every ready model's.
    const all = (await (await fetch(`${url}/v2/models/stats`)).json()) as TritonStats;
    expect(all.model_stats.map((m) => `${m.name}/${m.version}`)).toEqual(
      expect.arrayContaining(['digits/1', 'fashion/1']),
    );
  });

  it('accepts gzip and deflate request bodies, as tritonclient sends them', async () => {
    const body = JSON.stringify(tensorRequest(1, { outputs: [{ name: 'probabilities' }] }));
    const plain = await readInferResponse(await infer(body));
    for (const [encoding, compressed] of [
      ['gzip', await gzipAsync(body)],
      ['deflate', await deflateAsync(body)],
    ] as const) {
      const response = await infer(new Uint8Array(compressed), { 'content-encoding': encoding });
      expect(response.status, encoding).toBe(200);
      expect((await readInferResponse(response)).json.outputs).toEqual(plain.json.outputs);
    }
  });

  it('refuses a compressed body that decompresses past the limit (a zip bomb) with 413', async () => {
    // 10 MB of spaces gzip to about 10 KB: under the 100 kB limit on the wire, far over it inflated.
    const bomb = await gzipAsync(Buffer.alloc(10_000_000, ' '));
    expect(bomb.length).toBeLessThan(100_000);
    const response = await infer(new Uint8Array(bomb), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      code: 'request_too_large',
      error: 'the decompressed body is over the limit of 100000 bytes',
    });
  });

  it('refuses an encoding it cannot decode with 415, and corrupt gzip with 400', async () => {
    const br = await infer('xx', { 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    expect(await br.json()).toMatchObject({ code: 'unsupported_content_encoding' });
    const corrupt = await infer('not gzip at all', { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(await corrupt.json()).toMatchObject({ code: 'invalid_content_encoding' });
  });

  it('refuses load requests with config or file overrides, naming the parameter', async () => {
    for (const parameters of [{ config: '{"max_batch_size": 8}' }, { 'file:1/model.onnx': 'AAAA' }]) {
      const response = await fetch(`${url}/v2/repository/models/digits/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters }),
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: string };
      expect(error).toContain(`parameters.${Object.keys(parameters)[0]}: overrides are not supported`);
    }
    const plain = await fetch(`${url}/v2/repository/models/digits/load`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(200);
  });

  it('clamps classification to the class count and prints values with six decimals, as Triton does', async () => {
    const response = await infer(
      JSON.stringify(
        tensorRequest(1, { outputs: [{ name: 'probabilities', parameters: { classification: 50 } }] }),
      ),
    );
    expect(response.status).toBe(200);
    const output = (await readInferResponse(response)).json.outputs[0];
    expect(output?.shape).toEqual([1, 10]);
    const strings = output?.data as string[];
    expect(strings).toHaveLength(10);
    for (const entry of strings) expect(entry).toMatch(/^\d+\.\d{6}:\d:\d$/);
  });
});

interface TritonDuration {
  count: number;
  ns: number;
}
interface TritonStatsEntry {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<'success' | 'fail' | 'queue' | 'compute_infer', TritonDuration>;
  batch_stats: Array<{ batch_size: number; compute_infer: TritonDuration }>;
}
interface TritonStats {
  model_stats: TritonStatsEntry[];
}
