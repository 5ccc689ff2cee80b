import { Client, type Dispatcher } from 'undici';

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
  /** CPU the load generator itself used in the measured window (this process, user + system), in seconds. */
  readonly clientCpuSeconds: number;
}

/** A request as undici's dispatcher takes it, built once: headers as a flat array, the body a Buffer. */
function dispatchOptions(request: LoadRequest): Dispatcher.DispatchOptions {
  return {
    method: 'POST',
    path: request.path,
    body: Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
    headers: Object.entries(request.headers).flat(),
  };
}

/**
 * A closed-loop load generator on undici, made cheap per request because it shares the machine with
 * the host it measures: one `Client` per connection (pipelining 1), each sending its next request from
 * the previous one's completion through undici's raw `dispatch` handler (no streams, no promises per
 * request), request options built once, latencies into a preallocated array. Latencies are timed per
 * request (sub-millisecond, unlike autocannon's whole-millisecond histogram); non-200 answers count as
 * errors and are left out of them. Its own CPU time during the measured window is reported.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const requests = options.requests.map(dispatchOptions);
  const clients = Array.from(
    { length: options.concurrency },
    () => new Client(options.origin, { pipelining: 1 }),
  );
  let latencies = new Float64Array(1 << 16);
  let measured = 0;
  let errors = 0;
  const warmupEnd = performance.now() + options.warmupMs;
  const end = warmupEnd + options.durationMs;
  let cpuAtWindowStart: NodeJS.CpuUsage | undefined;
  const windowStart = setTimeout(() => {
    cpuAtWindowStart = process.cpuUsage();
  }, options.warmupMs);

  const record = (ms: number) => {
    if (measured === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[measured++] = ms;
  };

  const connection = (client: Client, offset: number) =>
    new Promise<void>((resolve, reject) => {
      let i = offset;
      let started = 0;
      let status = 0;
      const send = (now: number) => {
        if (now >= end) {
          resolve();
          return;
        }
        started = now;
        client.dispatch(requests[i++ % requests.length] as Dispatcher.DispatchOptions, handler);
      };
      const handler: Dispatcher.DispatchHandler = {
        onConnect() {},
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData() {
          return true;
        },
        onComplete() {
          const now = performance.now();
          // Requests started during the warm-up are not counted; the window starts when it ends.
          if (started >= warmupEnd) {
            if (status === 200) record(now - started);
            else errors++;
          }
          send(now);
        },
        onError: reject,
      };
      send(performance.now());
    });

  let seconds: number;
  let cpu: NodeJS.CpuUsage;
  try {
    await Promise.all(clients.map((client, c) => connection(client, c * 7)));
    seconds = (performance.now() - warmupEnd) / 1000;
    cpu = process.cpuUsage(cpuAtWindowStart);
  } finally {
    clearTimeout(windowStart);
    await Promise.all(clients.map((client) => client.close()));
  }
  const sorted = latencies.subarray(0, measured).sort();
  const at = (q: number) => sorted[Math.min(measured - 1, Math.floor(q * measured))] ?? Number.NaN;
  return {
    requests: measured,
    errors,
    seconds,
    requestsPerSecond: measured / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    clientCpuSeconds: cpuAtWindowStart ? (cpu.user + cpu.system) / 1e6 : Number.NaN,
  };
}
