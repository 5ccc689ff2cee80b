import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServingPolicy } from '../../contracts/serving-policy.ts';
import { LOCAL_S3_CREDENTIALS } from '../../stack/local-s3.ts';
import { type ScratchS3, startScratchS3 } from '../../test/support/scratch-s3.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import { parseS3RepositoryUrl } from '../s3-repository-sync.ts';
import { postInfer, readInferResponse, startTestHost } from './support.ts';

const BUCKET = 'pictor-sync-test';

describe('parseS3RepositoryUrl', () => {
  it('reads the bucket and the prefix, and refuses what is not an s3:// folder', () => {
    expect(parseS3RepositoryUrl('s3://pictor-data-123/models/')).toEqual({
      bucket: 'pictor-data-123',
      prefix: 'models/',
    });
    expect(parseS3RepositoryUrl('s3://pictor-data/')).toEqual({ bucket: 'pictor-data', prefix: '' });
    expect(() => parseS3RepositoryUrl('https://pictor-data/models/')).toThrow(/not an s3:/);
    expect(() => parseS3RepositoryUrl('s3://pictor-data/models')).toThrow(/must end with "\/"/);
  });
});

describe('a host whose model repository lives in S3 (MODEL_REPOSITORY_S3_URL)', () => {
  let work: string;
  let local: string;
  let scratch: ScratchS3;
  let host: RunningGpuHost;

  const put = (key: string, body: Uint8Array | string) =>
    scratch.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `models/${key}`, Body: body }));
  /** Uploads committed version `from` of digits as version `as` (its manifest renumbered). */
  const putVersion = async (from: string, as: string, bytes?: Uint8Array) => {
    const manifest = JSON.parse(await readFile(`models/digits/${from}/manifest.json`, 'utf8'));
    await put(`digits/${as}/model.onnx`, bytes ?? (await readFile(`models/digits/${from}/model.onnx`)));
    await put(`digits/${as}/manifest.json`, JSON.stringify({ ...manifest, version: as }));
  };
  const putPolicy = (defaultVersion: string) => {
    const policy: ServingPolicy = {
      model: 'digits',
      defaultVersion,
      changedAt: new Date().toISOString(),
      decisionId: randomUUID(),
    };
    return put('digits/serving.json', JSON.stringify(policy));
  };
  const defaultServed = async () => {
    const response = await postInfer(`${host.url}/v2/models/digits/infer`, {
      inputs: [{ name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
    });
    expect(response.status).toBe(200);
    return (await readInferResponse(response)).json.model_version;
  };
  const load = () => fetch(`${host.url}/v2/repository/models/digits/load`, { method: 'POST' });

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'gpu-host-s3-'));
    local = path.join(work, 'repository');
    scratch = await startScratchS3({
      bucket: BUCKET,
      allowedOrigins: ['http://127.0.0.1:*'],
      directory: path.join(work, 's3'),
    });
    await putVersion('1', '1');
    await putVersion('2', '2');
    await putPolicy('1');
    host = await startTestHost({
      MODEL_REPOSITORY: local,
      MODEL_CONTROL_MODE: 'explicit',
      MODEL_REPOSITORY_S3_URL: `s3://${BUCKET}/models/`,
      S3_ENDPOINT: scratch.server.endpoint,
      S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    });
  });
  afterAll(async () => {
    await host?.close();
    // The last test stopped the S3 server itself; only the client is left to stop then.
    await scratch?.close().catch(() => {});
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('starts from an empty folder with the versions and the default S3 holds', async () => {
    expect(host.registry.versions('digits')).toEqual(['2', '1']);
    expect(await defaultServed()).toBe('1');
    const [synced, committed] = await Promise.all([
      readFile(path.join(local, 'digits', '2', 'model.onnx')),
      readFile('models/digits/2/model.onnx'),
    ]);
    expect(Buffer.compare(synced, committed)).toBe(0);
  });

  it('takes a promotion written to S3 on the next load: a new version and a new default', async () => {
    await putVersion('2', '3');
    await putPolicy('3');
    expect((await load()).status).toBe(200);
    expect(host.registry.versions('digits')).toEqual(['3', '2', '1']);
    expect(await defaultServed()).toBe('3');
  });

  it('refuses a version whose bytes do not match its manifest, and keeps serving', async () => {
    await putVersion('1', '4', new TextEncoder().encode('not the model'));
    const response = await load();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      code: 'repository_unavailable',
      error: expect.stringMatching(/digits\/4\/model\.onnx has SHA-256 [0-9a-f]{64}; its manifest says/),
    });
    // Nothing half-written is left where the loader looks.
    expect((await readdir(path.join(local, 'digits'))).sort()).toEqual(['1', '2', '3', 'serving.json']);
    expect(await defaultServed()).toBe('3');
  });

  it('answers 503 to a load while S3 cannot be reached, and keeps serving what it has', async () => {
    await scratch.server.close();
    const response = await load();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'repository_unavailable' });
    expect(await defaultServed()).toBe('3');
  });
});

describe('a host started while its S3 repository cannot be reached', () => {
  it('serves the models it has on disk', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'gpu-host-s3-down-'));
    await cp('models/digits/1', path.join(work, 'digits', '1'), { recursive: true });
    const host = await startTestHost({
      MODEL_REPOSITORY: work,
      MODEL_REPOSITORY_S3_URL: `s3://${BUCKET}/models/`,
      // A port nothing listens on: connections are refused at once.
      S3_ENDPOINT: 'http://127.0.0.1:9',
      S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    });
    try {
      expect(host.registry.versions('digits')).toEqual(['1']);
    } finally {
      await host.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
