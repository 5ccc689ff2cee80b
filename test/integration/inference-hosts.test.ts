import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildHost, startChildHost } from '../../bench/gpu-host-child.ts';
import type { RunningGpuHost } from '../../gpu-host/gpu-host.ts';
import {
  repositoryWithQueueDelay,
  startTestHost,
  type temporaryRepository,
} from '../../gpu-host/test/support.ts';
import {
  createInferenceClient,
  type InferenceOutcome,
  type InferenceTry,
} from '../../lambda/inference-client.ts';
import { TransientError } from '../../platform/retry.ts';
import { mnistDigitImage } from '../support/images.ts';

/** Runs `count` classifications of known digits, `concurrency` at a time; `onAnswer` sees each as it lands. */
async function classifyMany(
  classify: (image: Uint8Array) => Promise<InferenceOutcome>,
  count: number,
  concurrency: number,
  onAnswer: (done: number) => void = () => {},
): Promise<Array<{ digit: number; outcome: InferenceOutcome }>> {
  const images = await Promise.all(Array.from({ length: 10 }, (_, digit) => mnistDigitImage(digit, 1)));
  const results: Array<{ digit: number; outcome: InferenceOutcome }> = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const digit = next++ % 10;
      results.push({ digit, outcome: await classify(images[digit] as Uint8Array) });
      onAnswer(results.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe('the Lambda with several inference hosts', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('answers every upload when one of two hosts is killed mid-load, without waiting for a retry window', async () => {
    const steady: RunningGpuHost = await startTestHost();
    cleanups.push(() => steady.close());
    const doomed: ChildHost = await startChildHost({});
    cleanups.push(() => doomed.kill());
    const tries: InferenceTry[] = [];
    const client = createInferenceClient({
      baseUrl: `${steady.url},${doomed.origin}`,
      timeoutMs: 15_000,
      attempts: 3,
      onTry: (t) => tries.push(t),
    });

    let killed: Promise<void> | undefined;
    let triesBeforeKill = 0;
    const results = await classifyMany(
      (image) => client.classify('digits', image, 3),
      120,
      8,
      (done) => {
        if (done === 30 && !killed) {
          triesBeforeKill = tries.length;
          killed = doomed.kill();
        }
      },
    );
    await killed;

    expect(results).toHaveLength(120);
    for (const { digit, outcome } of results) {
      expect(outcome).toMatchObject({ ok: true, classification: { label: String(digit) } });
    }
    // Both hosts took work before the kill; afterwards the doomed one only failed.
    const before = tries.slice(0, triesBeforeKill);
    expect(before.some((t) => t.host === doomed.origin && t.result === 'answered')).toBe(true);
    expect(before.some((t) => t.host === steady.url && t.result === 'answered')).toBe(true);
    const failed = tries.filter((t) => t.result === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((t) => t.host === doomed.origin)).toBe(true);
    // The steady host was always free to take a request, so no try waited for a cooldown or backoff.
    expect(tries.filter((t) => t.waitedMs > 0)).toEqual([]);
  });

  it('sends few requests to a slow host while a fast one is free', async () => {
    let repository: Awaited<ReturnType<typeof temporaryRepository>> | undefined;
    repository = await repositoryWithQueueDelay(300_000);
    cleanups.push(() => repository?.remove() ?? Promise.resolve());
    const fast = await startTestHost();
    cleanups.push(() => fast.close());
    const slow = await startTestHost({ MODEL_REPOSITORY: repository.path, EAGER_BATCHING: 'false' });
    cleanups.push(() => slow.close());
    const tries: InferenceTry[] = [];
    const client = createInferenceClient({
      baseUrl: [fast.url, slow.url],
      timeoutMs: 15_000,
      attempts: 3,
      onTry: (t) => tries.push(t),
    });

    const results = await classifyMany((image) => client.classify('digits', image, 3), 60, 4);

    expect(results.every((r) => r.outcome.ok)).toBe(true);
    const toSlow = tries.filter((t) => t.host === slow.url).length;
    // Each request to the slow host waits 300 ms in its queue; the fast one answers in milliseconds.
    expect(toSlow).toBeLessThan(tries.length / 5);
  });

  it('with every host down, waits between tries and ends in a transient failure the caller can retry', async () => {
    // Two ports nobody listens on: taken from hosts started and stopped again.
    const gone = [await startTestHost(), await startTestHost()];
    for (const host of gone) await host.close();
    const tries: InferenceTry[] = [];
    const client = createInferenceClient({
      baseUrl: gone.map((h) => h.url),
      timeoutMs: 5_000,
      attempts: 4,
      baseDelayMs: 20,
      onTry: (t) => tries.push(t),
    });
    const image = await mnistDigitImage(1, 1);

    await expect(client.classify('digits', image, 3)).rejects.toThrow(TransientError);

    expect(tries.map((t) => t.result)).toEqual(['failed', 'failed', 'failed', 'failed']);
    // The first failure moves to the other host at once; after both failed, tries wait.
    expect(new Set(tries.slice(0, 2).map((t) => t.host)).size).toBe(2);
    expect(tries[1]?.waitedMs).toBe(0);
    expect(tries.slice(2).every((t) => t.waitedMs > 0)).toBe(true);
  });

  it('skips a host that answers 503 for as long as its Retry-After asks', async () => {
    const healthy = await startTestHost();
    cleanups.push(() => healthy.close());
    let overloadedHits = 0;
    // Stands in for an inference host whose bounded queue is full (the peer's fault, not the client).
    const overloaded: Server = createServer((request, response) => {
      overloadedHits++;
      request.resume();
      response.writeHead(503, { 'retry-after': '30', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'queue full' }));
    });
    overloaded.listen(0, '127.0.0.1');
    await once(overloaded, 'listening');
    cleanups.push(async () => {
      overloaded.closeAllConnections();
      overloaded.close();
    });
    const tries: InferenceTry[] = [];
    const client = createInferenceClient({
      baseUrl: [`http://127.0.0.1:${(overloaded.address() as AddressInfo).port}`, healthy.url],
      timeoutMs: 15_000,
      attempts: 3,
      onTry: (t) => tries.push(t),
    });

    const results = await classifyMany((image) => client.classify('digits', image, 3), 20, 1);

    expect(results.every((r) => r.outcome.ok)).toBe(true);
    expect(overloadedHits).toBe(1);
    expect(tries.filter((t) => t.waitedMs > 0)).toEqual([]);
  });
});
