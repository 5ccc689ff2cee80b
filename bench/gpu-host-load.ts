import { Pool } from 'undici';

/** One request the load generator sends (a POST). */
export interface LoadRequest {
  readonly path: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LoadOptions {
  readonly origin: string;
  /** Requests sent in turn, each connection cycling through them from its own offset. */
  readonly requests: readonly LoadRequest[];
  /** Connections, each with one request outstanding at a time (a closed loop). */
  readonly concurrency: number;
  readonly durationMs: number;
  /** Load before the measured window, not counted. */
  readonly warmupMs: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * A closed-loop load generator on undici: `concurrency` connections, each sending its next request as
 * soon as the previous answer is read, latencies timed per request (sub-millisecond, unlike autocannon's
 * whole-millisecond histogram). Non-200 answers count as errors and are left out of the latencies.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const warmupEnd = performance.now() + options.warmupMs;
  const end = warmupEnd + options.durationMs;

  const worker = async (offset: number) => {
    for (let i = offset; performance.now() < end; i++) {
      const request = options.requests[i % options.requests.length] as LoadRequest;
      const started = performance.now();
      const response = await pool.request({
        method: 'POST',
        path: request.path,
        body: request.body,
        headers: request.headers,
      });
      await response.body.dump({ limit: Number.POSITIVE_INFINITY });
      const finished = performance.now();
      // Requests started during the warm-up are not counted; the window starts when it ends.
      if (started < warmupEnd) continue;
      if (response.statusCode === 200) latencies.push(finished - started);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, c) => worker(c * 7)));
  const seconds = (performance.now() - warmupEnd) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length,
    errors,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}
