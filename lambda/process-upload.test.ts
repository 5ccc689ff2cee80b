import { describe, expect, it } from 'vitest';
import type { UploadResult } from '../contracts/results.ts';
import { TransientError } from '../platform/retry.ts';
import type { InferenceClient } from './inference-client.ts';
import { type ProcessDeps, processUploadRecord } from './process-upload.ts';
import type { S3EventRecord } from './s3-event.ts';
import type { UploadStore } from './upload-store.ts';

// The peers are in-memory stand-ins that fail on demand (fault injection); the code under test is the
// real processing. The whole path against real servers is in test/integration/faults.test.ts.
const ID = '3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
const STORED_AT = new Date('2024-05-01T10:00:00.000Z');

const record: S3EventRecord = {
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: STORED_AT.toISOString(),
  eventName: 'ObjectCreated:Put',
  s3: { bucket: { name: 'b', arn: 'arn:aws:s3:::b' }, object: { key: `uploads/${ID}` } },
};

function fakes(options: { writesFail?: boolean; inferenceDown?: boolean; now?: Date }) {
  const objects = new Map<string, unknown>();
  const posted: UploadResult[] = [];
  const store: UploadStore = {
    readUpload: async () => ({
      kind: 'found',
      bytes: new Uint8Array([1]),
      model: 'digits',
      lastModified: STORED_AT,
    }),
    readOutcome: async (_b, uploadId) => objects.get(`outcomes/${uploadId}.json`) as UploadResult | undefined,
    writeOutcome: async (_b, result) => {
      if (options.writesFail) throw new TransientError('S3 unreachable');
      objects.set(`outcomes/${ID}.json`, result);
    },
    writeJson: async (_b, key, value) => {
      if (options.writesFail) throw new TransientError('S3 unreachable');
      objects.set(key, value);
    },
  };
  const inference: InferenceClient = {
    classify: async () => {
      if (options.inferenceDown) throw new TransientError('inference host unreachable');
      const topK = [{ label: '7', confidence: 0.9 }];
      return {
        ok: true,
        classification: { model: 'digits', modelVersion: '1', label: '7', confidence: 0.9, topK },
      };
    },
  };
  const deps: ProcessDeps = {
    store,
    inference,
    gateway: {
      postResult: async (result) => {
        posted.push(result);
      },
    },
    defaultModel: 'digits',
    maxImageBytes: 1_000,
    topK: 3,
    giveUpAfterMs: 60_000,
    now: () => options.now ?? new Date(STORED_AT.getTime() + 1_000),
  };
  return { deps, objects, posted };
}

describe('processUploadRecord', () => {
  it('records the verdict and its outcome, and delivers it', async () => {
    const { deps, objects, posted } = fakes({});
    await expect(processUploadRecord(record, deps)).resolves.toMatchObject({ status: 'predicted' });
    expect([...objects.keys()].sort()).toEqual([
      `outcomes/${ID}.json`,
      `predictions/dt=2024-05-01/${ID}.json`,
    ]);
    expect(posted.map((p) => p.type)).toEqual(['prediction']);
  });

  it('delivers a verdict already computed even when recording it fails, then fails so it is retried', async () => {
    const { deps, posted } = fakes({ writesFail: true });
    await expect(processUploadRecord(record, deps)).rejects.toThrow('S3 unreachable');
    expect(posted.map((p) => p.type)).toEqual(['prediction']);
  });

  it('tells the user "retrying" (not final) while the inference host is down, and fails to be retried', async () => {
    const { deps, posted, objects } = fakes({ inferenceDown: true });
    await expect(processUploadRecord(record, deps)).rejects.toBeInstanceOf(TransientError);
    expect(posted).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'inference_failed', final: false }) },
    ]);
    expect(objects.size).toBe(0);
  });

  it('ends an upload still failing past the give-up age with a final, recorded error', async () => {
    const { deps, posted, objects } = fakes({
      inferenceDown: true,
      now: new Date(STORED_AT.getTime() + 61_000),
    });
    await expect(processUploadRecord(record, deps)).resolves.toMatchObject({ status: 'refused' });
    expect(posted).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'inference_failed', final: true }) },
    ]);
    expect(objects.get(`outcomes/${ID}.json`)).toEqual(posted[0]);
  });

  it('only delivers again an outcome already recorded (a replay): no second inference, no rewrite', async () => {
    const { deps, posted, objects } = fakes({});
    await processUploadRecord(record, deps);
    const failingInference = {
      ...deps,
      inference: { classify: () => Promise.reject(new Error('must not run')) },
    };
    await expect(processUploadRecord(record, failingInference)).resolves.toMatchObject({
      status: 'redelivered',
    });
    expect(posted).toHaveLength(2);
    expect(posted[1]).toEqual(posted[0]);
    expect(objects.size).toBe(2);
  });
});
