import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServingPolicy } from '../../contracts/serving-policy.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import {
  capturingLogger,
  postInfer,
  readInferResponse,
  startTestHost,
  temporaryRepository,
} from './support.ts';

type Repository = Awaited<ReturnType<typeof temporaryRepository>>;

/** The two committed digits models, as versions 1 and 2 of a scratch repository. */
const realVersions = () =>
  temporaryRepository([
    { version: '1', fromVersion: '1' },
    { version: '2', fromVersion: '2' },
  ]);

function writePolicy(repository: Repository, defaultVersion: string): Promise<void> {
  const policy: ServingPolicy = {
    model: 'digits',
    defaultVersion,
    changedAt: new Date().toISOString(),
    decisionId: randomUUID(),
  };
  return writeFile(path.join(repository.path, 'digits', 'serving.json'), JSON.stringify(policy));
}

const tensorRequest = {
  inputs: [{ name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
};

async function versionOf(url: string): Promise<string | undefined> {
  const response = await postInfer(url, tensorRequest);
  expect(response.status).toBe(200);
  return (await readInferResponse(response)).json.model_version;
}

async function metadata(host: RunningGpuHost): Promise<Record<string, unknown>> {
  return (await fetch(`${host.url}/v2/models/digits`).then((r) => r.json())) as Record<string, unknown>;
}

async function load(host: RunningGpuHost): Promise<Response> {
  return fetch(`${host.url}/v2/repository/models/digits/load`, { method: 'POST' });
}

describe('the default version from models/<m>/serving.json', () => {
  let repository: Repository;
  let host: RunningGpuHost;
  const { log, lines } = capturingLogger('info');

  beforeAll(async () => {
    repository = await realVersions();
    await writePolicy(repository, '1');
    host = await startTestHost({ MODEL_REPOSITORY: repository.path, MODEL_CONTROL_MODE: 'explicit' }, log);
  });
  afterAll(async () => {
    await host?.close();
    await repository?.remove();
  });

  it('gives a request without a version the version serving.json names, not the newest', async () => {
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('1');
    const meta = await metadata(host);
    expect(meta).toMatchObject({ versions: ['2', '1'], parameters: { default_version: '1' } });
  });

  it('keeps every other version servable by naming it', async () => {
    expect(await versionOf(`${host.url}/v2/models/digits/versions/2/infer`)).toBe('2');
    expect((await fetch(`${host.url}/v2/models/digits/versions/2/ready`)).status).toBe(200);
  });

  it('moves the default when serving.json changes and the model is loaded again', async () => {
    await writePolicy(repository, '2');
    expect((await load(host)).status).toBe(200);
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('2');
    expect(await versionOf(`${host.url}/v2/models/digits/versions/1/infer`)).toBe('1');
    expect(await metadata(host)).toMatchObject({ parameters: { default_version: '2' } });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'default version changed', model: 'digits', from: '1', to: '2' }),
    );

    await writePolicy(repository, '1');
    expect((await load(host)).status).toBe(200);
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('1');
  });

  it('keeps the sessions of versions unchanged on disk across a load', async () => {
    const before = host.registry.get('digits', '2');
    expect((await load(host)).status).toBe(200);
    expect(host.registry.get('digits', '2')).toBe(before);
  });

  it('falls back to the newest on an invalid serving.json, and says why in the index and the log', async () => {
    await writeFile(
      path.join(repository.path, 'digits', 'serving.json'),
      '{"model": "digits", "defaultVersion": 1',
    );
    expect((await load(host)).status).toBe(200);
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('2');
    const index = (await fetch(`${host.url}/v2/repository/index`, { method: 'POST' }).then((r) =>
      r.json(),
    )) as Array<{ version: string; state: string; reason: string }>;
    expect(index.find((e) => e.version === '2')).toMatchObject({
      state: 'READY',
      reason: expect.stringMatching(/serving\.json ignored: .*not JSON/),
    });
    expect(index.find((e) => e.version === '1')).toMatchObject({ state: 'READY', reason: '' });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, model: 'digits', reason: expect.stringMatching(/not JSON/) }),
    );
  });

  it('falls back to the newest when serving.json names a version that is not there', async () => {
    await writePolicy(repository, '7');
    expect((await load(host)).status).toBe(200);
    expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('2');
  });
});

describe('a host started with an invalid serving.json', () => {
  it('starts, serves the newest as the default and names the problem', async () => {
    const repository = await realVersions();
    await writeFile(
      path.join(repository.path, 'digits', 'serving.json'),
      JSON.stringify({
        model: 'fashion',
        defaultVersion: '1',
        changedAt: new Date().toISOString(),
        decisionId: randomUUID(),
      }),
    );
    const host = await startTestHost({ MODEL_REPOSITORY: repository.path });
    try {
      expect(await versionOf(`${host.url}/v2/models/digits/infer`)).toBe('2');
      expect(host.registry.defaultProblem('digits', '2')).toMatch(/names model "fashion"/);
    } finally {
      await host.close();
      await repository.remove();
    }
  });
});

describe('a reload while requests are in flight (hot swap)', () => {
  let repository: Repository;
  let host: RunningGpuHost;

  beforeAll(async () => {
    repository = await realVersions();
    await writePolicy(repository, '1');
    host = await startTestHost({ MODEL_REPOSITORY: repository.path, MODEL_CONTROL_MODE: 'explicit' });
  });
  afterAll(async () => {
    await host?.close();
    await repository?.remove();
  });

  /** Rewrites version `version`'s manifest (its display name), so that a load replaces its session. */
  async function touchManifest(version: string, displayName: string): Promise<void> {
    const file = path.join(repository.path, 'digits', version, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...manifest, displayName }));
  }

  it('answers every request sent while the sessions are replaced and the default moves', async () => {
    let stop = false;
    const statuses: number[] = [];
    const versions = new Set<string | undefined>();
    const client = async () => {
      while (!stop) {
        const response = await postInfer(`${host.url}/v2/models/digits/infer`, tensorRequest);
        statuses.push(response.status);
        if (response.status === 200) versions.add((await readInferResponse(response)).json.model_version);
        else await response.arrayBuffer();
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let round = 0; round < 6; round++) {
      await touchManifest('1', `Handwritten digits, round ${round}`);
      await touchManifest('2', `Handwritten digits v2, round ${round}`);
      await writePolicy(repository, round % 2 === 0 ? '2' : '1');
      expect((await load(host)).status).toBe(200);
    }
    stop = true;
    await Promise.all(clients);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect([...versions].sort()).toEqual(['1', '2']);
  });

  it('finishes a request whose body was still arriving when its session was replaced', async () => {
    await writePolicy(repository, '1');
    expect((await load(host)).status).toBe(200);
    const body = Buffer.from(JSON.stringify(tensorRequest));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${host.url}/v2/models/digits/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 100));
      // The rest follows once the reload has swapped the session this request was given.
      (async () => {
        const old = host.registry.get('digits', '1');
        await touchManifest('1', 'Handwritten digits, swapped under a request');
        const loading = load(host);
        await expect.poll(() => host.registry.get('digits', '1') !== old, { timeout: 30_000 }).toBe(true);
        req.end(body.subarray(100));
        expect((await loading).status).toBe(200);
      })().catch(reject);
    });
    const { status, body: text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ model_name: 'digits', model_version: '1' });
  });
});

describe('MODEL_CONTROL_MODE=poll', () => {
  let repository: Repository | undefined;
  let host: RunningGpuHost | undefined;
  afterEach(async () => {
    await host?.close();
    await repository?.remove();
  });

  it('picks up a changed serving.json on its next scan, and refuses unload', async () => {
    repository = await realVersions();
    await writePolicy(repository, '1');
    host = await startTestHost({
      MODEL_REPOSITORY: repository.path,
      MODEL_CONTROL_MODE: 'poll',
      REPOSITORY_POLL_SECONDS: '0.2',
    });
    const url = host.url;
    expect(await versionOf(`${url}/v2/models/digits/infer`)).toBe('1');
    await writePolicy(repository, '2');
    await expect
      .poll(async () => (await metadata(host as RunningGpuHost)).parameters, { timeout: 30_000 })
      .toMatchObject({ default_version: '2' });
    expect(await versionOf(`${url}/v2/models/digits/infer`)).toBe('2');
    const unload = await fetch(`${url}/v2/repository/models/digits/unload`, { method: 'POST' });
    expect(unload.status).toBe(400);
    expect(await unload.json()).toMatchObject({ error: expect.stringMatching(/poll mode/) });
  });
});
