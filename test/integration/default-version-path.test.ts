import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelListSchema } from '../../contracts/models.ts';
import { predictionSchema } from '../../contracts/prediction.ts';
import type { ServingPolicy } from '../../contracts/serving-policy.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { mnistDigitImage } from '../support/images.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload, putToS3 } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

/**
 * The whole path follows the serving policy: the gateway lists the host's default, the Lambda asks
 * without a version and gets it, and the prediction record keeps the version that actually ran (the
 * accuracy job groups by it). A promotion (serving.json changed, then `load`) moves uploads to the new
 * default without a restart.
 */
describe('uploads get the default version of models/<m>/serving.json', () => {
  let repository: string;
  let stack: TestStack;

  const setDefault = (version: string) => {
    const policy: ServingPolicy = {
      model: 'digits',
      defaultVersion: version,
      changedAt: new Date().toISOString(),
      decisionId: randomUUID(),
    };
    return writeFile(path.join(repository, 'digits', 'serving.json'), JSON.stringify(policy));
  };

  /** Uploads an MNIST digit and returns the pushed verdict and the stored prediction record. */
  const classify = async (digit: number) => {
    const image = await mnistDigitImage(digit, 4);
    const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: image.length });
    const socket = await TestSocket.open(stack.gatewayUrl);
    try {
      socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
      await socket.waitFor((m) => m.type === 'subscribed');
      expect((await putToS3(upload, image)).status).toBe(200);
      const verdict = await socket.waitFor(isPrediction);
      await stack.bridge.idle();
      const s3 = createS3Client(stack.lambdaConfig.s3);
      try {
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket: stack.gatewayConfig.bucket, Prefix: 'predictions/' }),
        );
        const key = listed.Contents?.map((o) => o.Key).find((k) => k?.endsWith(`/${upload.uploadId}.json`));
        const stored = await s3.send(new GetObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key: key }));
        const record = predictionSchema.parse(JSON.parse((await stored.Body?.transformToString()) ?? ''));
        return { verdict, record };
      } finally {
        s3.destroy();
      }
    } finally {
      socket.close();
    }
  };

  beforeAll(async () => {
    repository = await mkdtemp(path.join(tmpdir(), 'pictor-repository-'));
    await cp('models', repository, { recursive: true });
    await setDefault('1');
    stack = await startTestStack({ modelRepository: repository });
  });
  afterAll(async () => {
    await stack?.dispose();
    if (repository) await rm(repository, { recursive: true, force: true });
  });

  it("lists the host's default version in GET /api/models, not its newest", async () => {
    const list = modelListSchema.parse(await fetch(`${stack.gatewayUrl}/api/models`).then((r) => r.json()));
    expect(list.models.find((m) => m.name === 'digits')).toMatchObject({ version: '1', isDefault: true });
  });

  it('classifies an upload with the default version and records that version', async () => {
    const { verdict, record } = await classify(3);
    expect(verdict).toMatchObject({ model: 'digits', modelVersion: '1', label: '3' });
    expect(record.modelVersion).toBe('1');
  });

  it('moves uploads to the new default once the host loads the changed policy, without a restart', async () => {
    await setDefault('2');
    const load = await fetch(`${stack.gpuHost.url}/v2/repository/models/digits/load`, { method: 'POST' });
    expect(load.status).toBe(200);
    const { verdict, record } = await classify(5);
    expect(verdict).toMatchObject({ modelVersion: '2', label: '5' });
    expect(record.modelVersion).toBe('2');
  });
});
