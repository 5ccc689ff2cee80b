import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelManifestSchema } from '../../contracts/model-manifest.ts';
import { mnistDigit } from '../../test/support/images.ts';
import type { Classifier } from '../classifier.ts';
import { DynamicBatcher } from '../dynamic-batcher.ts';
import { QueueFullError } from '../errors.ts';
import { loadOnnxClassifier } from '../onnx-classifier.ts';

const manifest = modelManifestSchema.parse(JSON.parse(readFileSync('models/digits/1/manifest.json', 'utf8')));

function sample(i: number): Float32Array {
  return Float32Array.from(mnistDigit(i % 10, Math.floor(i / 10)), (v) => v / 255);
}

describe('DynamicBatcher over the real digits model', () => {
  let model: Classifier;
  beforeAll(async () => {
    model = await loadOnnxClassifier(manifest, 'models/digits/1/model.onnx', {
      executionProviders: ['cpu'],
      intraOpThreads: 1,
    });
  });
  afterAll(async () => {
    await model?.close();
  });

  it('gives each of many concurrent callers exactly its own rows', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => sample(i));
    const alone: Float32Array[] = [];
    for (const input of inputs) alone.push(await model.run(input, 1));

    const sizes: number[] = [];
    const batcher = new DynamicBatcher(
      model,
      { maxBatchSize: 32, maxQueueDelayMicroseconds: 5_000, instances: 1 },
      { onBatch: (rows) => sizes.push(rows) },
    );
    const batched = await Promise.all(inputs.map((input) => batcher.run(input, 1)));

    batched.forEach((output, i) => {
      expect(output).toHaveLength(10);
      const reference = alone[i] as Float32Array;
      output.forEach((p, j) => {
        expect(p).toBeCloseTo(reference[j] as number, 5);
      });
    });
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    expect(Math.max(...sizes)).toBe(32);
    expect(sizes.length).toBeLessThan(300 / 8);
  });

  it('keeps multi-row requests together and in order', async () => {
    const batcher = new DynamicBatcher(model, {
      maxBatchSize: 8,
      maxQueueDelayMicroseconds: 2_000,
      instances: 1,
    });
    const requests = [3, 1, 4, 1, 5].map((rows, r) => {
      const input = new Float32Array(rows * 784);
      for (let k = 0; k < rows; k++) input.set(sample(r * 7 + k), k * 784);
      return { rows, input, r };
    });
    const outputs = await Promise.all(requests.map(({ input, rows }) => batcher.run(input, rows)));
    for (const [index, { rows, input }] of requests.entries()) {
      const reference = await model.run(input, rows);
      const output = outputs[index] as Float32Array;
      expect(output).toHaveLength(rows * 10);
      output.forEach((p, j) => {
        expect(p).toBeCloseTo(reference[j] as number, 5);
      });
    }
  });

  it('holds a lone request for exactly the queue delay, then sends it alone', async () => {
    // The batcher's clock (setTimeout and performance.now) is faked, so "exactly" is checked, not raced;
    // setImmediate stays real (onnxruntime-node's run needs it).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const sizes: number[] = [];
      const batcher = new DynamicBatcher(
        model,
        { maxBatchSize: 64, maxQueueDelayMicroseconds: 50_000, instances: 1 },
        { onBatch: (rows) => sizes.push(rows) },
      );
      const answer = batcher.run(sample(1), 1);
      await vi.advanceTimersByTimeAsync(49);
      expect(sizes).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(sizes).toEqual([1]);
      vi.useRealTimers();
      await expect(answer).resolves.toHaveLength(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a request larger than the max batch size, and fails every caller of a failed run', async () => {
    const batcher = new DynamicBatcher(model, {
      maxBatchSize: 2,
      maxQueueDelayMicroseconds: 0,
      instances: 1,
    });
    await expect(batcher.run(new Float32Array(3 * 784), 3)).rejects.toThrow(/exceeds max batch size 2/);
    const broken: Classifier = {
      manifest,
      executionProvider: 'cpu',
      run: () => Promise.reject(new Error('boom')),
      close: async () => {},
    };
    const failing = new DynamicBatcher(broken, {
      maxBatchSize: 4,
      maxQueueDelayMicroseconds: 1_000,
      instances: 1,
    });
    const results = await Promise.allSettled([failing.run(sample(0), 1), failing.run(sample(1), 1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('with eager dispatch, sends a lone request at once instead of waiting out the queue delay', async () => {
    const sizes: number[] = [];
    const batcher = new DynamicBatcher(
      model,
      { maxBatchSize: 64, maxQueueDelayMicroseconds: 5_000_000, instances: 1, eager: true },
      { onBatch: (rows) => sizes.push(rows) },
    );
    // No clock moves: the batch must go at the end of this turn, not when a 5 s delay runs out.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const answer = batcher.run(sample(1), 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(sizes).toEqual([1]);
      await expect(answer).resolves.toHaveLength(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with eager dispatch, waits for a request announced as on its way', async () => {
    const sizes: number[] = [];
    const batcher = new DynamicBatcher(
      model,
      { maxBatchSize: 64, maxQueueDelayMicroseconds: 5_000_000, instances: 1, eager: true },
      { onBatch: (rows) => sizes.push(rows) },
    );
    const arriving = batcher.announce();
    const first = batcher.run(sample(1), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sizes).toEqual([]);
    const second = batcher.run(sample(2), 1);
    arriving();
    await Promise.all([first, second]);
    expect(sizes).toEqual([2]);
  });

  it('refuses requests past maxQueueSize at once, and still answers every one it queued', async () => {
    // Submitted in one turn: the first runs at once, the next four wait, the rest find the queue full.
    const batcher = new DynamicBatcher(model, {
      maxBatchSize: 8,
      maxQueueDelayMicroseconds: 0,
      instances: 1,
      gather: false,
      maxQueueSize: 4,
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => batcher.run(sample(i), 1)),
    );
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(accepted).toHaveLength(5);
    for (const o of accepted) expect((o as PromiseFulfilledResult<Float32Array>).value).toHaveLength(10);
    expect(refused).toHaveLength(15);
    for (const o of refused) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    // Once it has drained, it takes requests again.
    await expect(batcher.run(sample(1), 1)).resolves.toHaveLength(10);
  });

  it('on close, runs what is queued at once, then closes the model and refuses new requests', async () => {
    let closed = false;
    const inner: Classifier = {
      manifest,
      executionProvider: 'cpu',
      run: (input, rows) => model.run(input, rows),
      close: async () => {
        closed = true;
      },
    };
    const batcher = new DynamicBatcher(inner, {
      maxBatchSize: 8,
      maxQueueDelayMicroseconds: 10_000_000,
      instances: 1,
    });
    const queued = [batcher.run(sample(3), 1), batcher.run(sample(4), 1)];
    await batcher.close();
    expect((await Promise.all(queued)).map((o) => o.length)).toEqual([10, 10]);
    expect(closed).toBe(true);
    await expect(batcher.run(sample(5), 1)).rejects.toThrow(/closed/);
  });
});
