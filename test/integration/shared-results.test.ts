import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UploadResult } from '../../contracts/results.ts';
import { RESULTS_CHANNEL } from '../../gateway/redis-result-bus.ts';
import { createResultRelay, type ResultRelay } from '../../gateway/result-relay.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { predictionResult } from '../support/results.ts';

function errorResult(
  uploadId: string,
  message = 'the inference host is unreachable; retrying',
  final = false,
): UploadResult {
  return { type: 'error', error: { uploadId, code: 'inference_failed', message, final } };
}

/** A relay plus every result it delivered to "its sockets", and a way to wait for one. */
interface GatewayUnderTest {
  readonly relay: ResultRelay;
  readonly delivered: UploadResult[];
  /** Resolves once `count` results for `uploadId` were delivered, with them. */
  waitFor(uploadId: string, count?: number): Promise<UploadResult[]>;
}

const idOf = (r: UploadResult) => (r.type === 'prediction' ? r.prediction.uploadId : r.error.uploadId);

async function gateway(options: Parameters<typeof createResultRelay>[0]): Promise<GatewayUnderTest> {
  const relay = createResultRelay(options);
  const delivered: UploadResult[] = [];
  const waiters: Array<() => void> = [];
  await relay.start((result) => {
    delivered.push(result);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    relay,
    delivered,
    async waitFor(uploadId, count = 1) {
      for (;;) {
        const found = delivered.filter((r) => idOf(r) === uploadId);
        if (found.length >= count) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const started: GatewayUnderTest[] = [];
afterEach(async () => {
  for (const g of started.splice(0)) await g.relay.close();
});

let database = 0;

/** `count` gateways sharing one Redis database of their own (pub/sub is server-wide; ids keep tests apart). */
async function gateways(count: number, maxResults = 1_000, maxErrors?: number): Promise<GatewayUnderTest[]> {
  database = (database + 1) % 16;
  const list: GatewayUnderTest[] = [];
  for (let i = 0; i < count; i++) {
    const g = await gateway({ redisUrl: `${redis.url}/${database}`, ttlMs: 60_000, maxResults, maxErrors });
    started.push(g);
    list.push(g);
  }
  return list;
}

describe('gateways that share nothing but Redis', () => {
  it('a result taken in by gateway B reaches the subscriber on gateway A', async () => {
    const [a, b] = (await gateways(2)) as [GatewayUnderTest, GatewayUnderTest];
    const uploadId = randomUUID();

    expect(await b.relay.accept(predictionResult(uploadId, '4'))).toBe('stored');

    expect(await a.waitFor(uploadId)).toMatchObject([
      { type: 'prediction', prediction: { uploadId, label: '4' } },
    ]);
    expect(await b.waitFor(uploadId)).toMatchObject([
      { type: 'prediction', prediction: { uploadId, label: '4' } },
    ]);
  });

  it('a client subscribing late on gateway B gets the result gateway A took in', async () => {
    const [a, b] = (await gateways(2)) as [GatewayUnderTest, GatewayUnderTest];
    const uploadId = randomUUID();
    const result = predictionResult(uploadId, '9');

    await a.relay.accept(result);

    expect(await b.relay.lookup(uploadId)).toEqual(result);
    expect(await b.relay.lookup(randomUUID())).toBeUndefined();
  });

  it('a prediction is final on every gateway: a replay through another is a duplicate and is not pushed again', async () => {
    const [a, b] = (await gateways(2)) as [GatewayUnderTest, GatewayUnderTest];
    const uploadId = randomUUID();
    const marker = randomUUID();

    expect(await a.relay.accept(predictionResult(uploadId, '1'))).toBe('stored');
    expect(await b.relay.accept(predictionResult(uploadId, '1'))).toBe('duplicate');
    expect(await b.relay.accept(errorResult(uploadId))).toBe('duplicate');
    await b.relay.accept(predictionResult(marker));
    // The bus keeps order: once the marker is here, a second push for uploadId would have come too.
    await a.waitFor(marker);

    expect(a.delivered.filter((r) => idOf(r) === uploadId).map((r) => r.type)).toEqual(['prediction']);
  });

  it('an error is replaced by the prediction of a retry that succeeded, and both are pushed', async () => {
    const [a, b] = (await gateways(2)) as [GatewayUnderTest, GatewayUnderTest];
    const uploadId = randomUUID();

    expect(await b.relay.accept(errorResult(uploadId))).toBe('stored');
    expect(await b.relay.accept(errorResult(uploadId))).toBe('duplicate');
    expect(await a.relay.accept(predictionResult(uploadId, '3'))).toBe('replaced');

    expect((await a.waitFor(uploadId, 2)).map((r) => r.type)).toEqual(['error', 'prediction']);
    expect(await b.relay.lookup(uploadId)).toMatchObject({ type: 'prediction', prediction: { label: '3' } });
  });

  it('a final error is final on every gateway: a later verdict or error through another is a duplicate', async () => {
    const [a, b] = (await gateways(2)) as [GatewayUnderTest, GatewayUnderTest];
    const uploadId = randomUUID();
    const marker = randomUUID();
    const finalError: UploadResult = {
      type: 'error',
      error: { uploadId, code: 'unsupported_image', message: 'not an image', final: true },
    };

    expect(await a.relay.accept(errorResult(uploadId))).toBe('stored');
    // The same error, now final (retries ran out), is news: it replaces the retrying one.
    expect(await b.relay.accept(errorResult(uploadId, undefined, true))).toBe('replaced');
    expect(await a.relay.accept(predictionResult(uploadId))).toBe('duplicate');
    expect(await b.relay.accept(finalError)).toBe('duplicate');
    await b.relay.accept(predictionResult(marker));
    await a.waitFor(marker);

    expect(a.delivered.filter((r) => idOf(r) === uploadId).map((r) => r.type)).toEqual(['error', 'error']);
    expect(await b.relay.lookup(uploadId)).toMatchObject({ type: 'error', error: { final: true } });
  });

  it('errors, final ones included, never evict a verdict', async () => {
    const [a] = (await gateways(1, 3, 2)) as [GatewayUnderTest];
    const verdicts = Array.from({ length: 3 }, () => randomUUID());
    for (const id of verdicts) await a.relay.accept(predictionResult(id));
    for (let i = 0; i < 10; i++) {
      const uploadId = randomUUID();
      await a.relay.accept({
        type: 'error',
        error: { uploadId, code: 'unsupported_image', message: 'not an image', final: true },
      });
    }
    for (const id of verdicts) expect(await a.relay.lookup(id)).toMatchObject({ type: 'prediction' });
  });

  it('a flood of errors evicts only errors, never a verdict; predictions past the cap evict the oldest', async () => {
    const [a] = (await gateways(1, 5, 3)) as [GatewayUnderTest];
    const verdicts = Array.from({ length: 5 }, () => randomUUID());
    for (const id of verdicts) await a.relay.accept(predictionResult(id));

    for (let i = 0; i < 40; i++) await a.relay.accept(errorResult(randomUUID()));
    for (const id of verdicts) expect(await a.relay.lookup(id)).toMatchObject({ type: 'prediction' });

    const newest = randomUUID();
    await a.relay.accept(predictionResult(newest));
    expect(await a.relay.lookup(verdicts[0] as string)).toBeUndefined();
    expect(await a.relay.lookup(newest)).toMatchObject({ type: 'prediction' });
  });

  it('forgets results after their TTL', async () => {
    const g = await gateway({ redisUrl: `${redis.url}/15`, ttlMs: 150, maxResults: 100 });
    started.push(g);
    const uploadId = randomUUID();
    await g.relay.accept(predictionResult(uploadId));
    expect(await g.relay.lookup(uploadId)).toBeDefined();
    // Redis expires the key itself; wait for it rather than guessing how long that takes.
    const deadline = Date.now() + 10_000;
    while ((await g.relay.lookup(uploadId)) !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await g.relay.lookup(uploadId)).toBeUndefined();
  });
});

describe('the result bus', () => {
  it('ignores a message on its channel that is not a result', async () => {
    const invalid: string[] = [];
    const g = await gateway({
      redisUrl: redis.url,
      ttlMs: 60_000,
      maxResults: 100,
      onInvalid: (reason) => invalid.push(reason),
    });
    started.push(g);
    const other = new Redis(redis.url);
    const marker = randomUUID();

    await other.publish(RESULTS_CHANNEL, 'not json');
    await other.publish(
      RESULTS_CHANNEL,
      JSON.stringify({ type: 'prediction', prediction: { uploadId: 'x' } }),
    );
    await g.relay.accept(predictionResult(marker));
    await g.waitFor(marker);
    await other.quit();

    expect(invalid).toHaveLength(2);
    expect(g.delivered).toHaveLength(1);
  });
});

describe('Redis unreachable', () => {
  it('storing a result fails with an error instead of hanging, so the Lambda retries it later', async () => {
    const own = await startTestRedis();
    const g = await gateway({ redisUrl: own.url, ttlMs: 60_000, maxResults: 100 });
    started.push(g);
    await own.stop();

    await expect(g.relay.accept(predictionResult(randomUUID()))).rejects.toThrow();
  });
});

describe('the single gateway keeps the same rules in memory', () => {
  it('stores, pushes to its own subscribers, refuses duplicates and lets a prediction replace an error', async () => {
    const g = await gateway({ ttlMs: 60_000, maxResults: 100 });
    started.push(g);
    const uploadId = randomUUID();

    expect(await g.relay.accept(errorResult(uploadId))).toBe('stored');
    expect(await g.relay.accept(errorResult(uploadId))).toBe('duplicate');
    expect(await g.relay.accept(predictionResult(uploadId))).toBe('replaced');
    expect(await g.relay.accept(predictionResult(uploadId))).toBe('duplicate');

    expect((await g.waitFor(uploadId, 2)).map((r) => r.type)).toEqual(['error', 'prediction']);
    expect(await g.relay.lookup(uploadId)).toMatchObject({ type: 'prediction' });
  });
});
