import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { encodeBytesElements, INFERENCE_HEADER_CONTENT_LENGTH } from '../contracts/inference-api.ts';
import { modelManifestSchema } from '../contracts/model-manifest.ts';
import { loadOnnxClassifier } from '../gpu-host/onnx-classifier.ts';
import { mnistDigit, mnistDigitImage } from '../test/support/images.ts';
import { batchSizeTotals, type ChildHost, startChildHost } from './gpu-host-child.ts';
import { type LoadRequest, type LoadResult, runLoad } from './gpu-host-load.ts';

/**
 * `npm run bench:gpu-host`: the inference host as a child process under a closed-loop load generator.
 * For the tensor route (binary FP32 in, binary FP32 out) and the image route (a PNG as a BYTES input,
 * the top 3 classes out), at concurrency 1, 16 and 64, with dynamic batching off, on (the default:
 * eager dispatch) and on with Triton's fixed queue delay (EAGER_BATCHING=off); then two
 * ceilings: the same server answering without inference (GPU_HOST_NULL_MODEL=on), and the raw
 * onnxruntime session in-process at the batch size the batcher formed. The last line is the JSON.
 */

/** Seconds measured per cell and round, after the warm-up. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
/** Each cell is measured once per round; the best round is kept (interference only ever slows). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = [1, 16, 64] as const;
const MODEL = 'digits';
const manifest = modelManifestSchema.parse(
  JSON.parse(readFileSync(`models/${MODEL}/1/manifest.json`, 'utf8')),
);
const INFER_PATH = `/v2/models/${MODEL}/infer`;

type Route = 'tensor' | 'tensor-json' | 'image';
type Mode = 'off' | 'on' | 'delay' | 'null';

interface Cell extends LoadResult {
  readonly route: Route;
  readonly batching: Mode;
  readonly concurrency: number;
  /** Mean rows per model run during the cell, from the host's batch size histogram. */
  readonly meanBatch: number | undefined;
}

function binaryRequest(header: unknown, tensor: Uint8Array): LoadRequest {
  const json = Buffer.from(JSON.stringify(header));
  return {
    path: INFER_PATH,
    body: Buffer.concat([json, tensor]),
    headers: {
      'content-type': 'application/octet-stream',
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(json.length),
    },
  };
}

function digitPixels(i: number): Float32Array {
  return Float32Array.from(mnistDigit(i % 10, Math.floor(i / 10)), (v) => v / 255);
}

async function buildRequests(): Promise<Record<Route, LoadRequest[]>> {
  const samples = Array.from({ length: 20 }, (_, i) => i);
  const tensor = samples.map((i) => {
    const bytes = new Uint8Array(digitPixels(i).buffer);
    return binaryRequest(
      {
        parameters: { binary_data_output: true },
        inputs: [
          {
            name: 'input',
            shape: [1, 1, 28, 28],
            datatype: 'FP32',
            parameters: { binary_data_size: bytes.length },
          },
        ],
      },
      bytes,
    );
  });
  const tensorJson = samples.map((i) => ({
    path: INFER_PATH,
    body: Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: Array.from(digitPixels(i)) },
        ],
      }),
    ),
    headers: { 'content-type': 'application/json' },
  }));
  const image = await Promise.all(
    samples.map(async (i) => {
      const element = encodeBytesElements([await mnistDigitImage(i % 10, Math.floor(i / 10))]);
      return binaryRequest(
        {
          inputs: [
            {
              name: 'image',
              shape: [1],
              datatype: 'BYTES',
              parameters: { binary_data_size: element.length },
            },
          ],
          outputs: [{ name: 'probabilities', parameters: { classification: 3 } }],
        },
        element,
      );
    }),
  );
  return { tensor, 'tensor-json': tensorJson, image };
}

async function measure(
  host: ChildHost,
  route: Route,
  batching: Mode,
  concurrency: number,
  requests: LoadRequest[],
): Promise<Cell> {
  const before = batchSizeTotals(await host.metrics(), MODEL);
  const result = await runLoad({
    origin: host.origin,
    requests,
    concurrency,
    durationMs: SECONDS * 1000,
    warmupMs: WARMUP_SECONDS * 1000,
  });
  const after = batchSizeTotals(await host.metrics(), MODEL);
  const runs = after.count - before.count;
  const cell = {
    route,
    batching,
    concurrency,
    ...result,
    meanBatch: runs > 0 ? (after.sum - before.sum) / runs : undefined,
  };
  process.stderr.write(
    `  ${route} batching=${batching} c=${concurrency}: ${Math.round(cell.requestsPerSecond)} req/s\n`,
  );
  return cell;
}

/** Images per second of the raw onnxruntime session, in this process, at one batch size. */
async function rawOnnx(batch: number, seconds: number): Promise<number> {
  const classifier = await loadOnnxClassifier(manifest, `models/${MODEL}/1/model.onnx`, {
    executionProviders: ['cpu'],
    intraOpThreads: Number(process.env.INTRA_OP_THREADS ?? 1),
  });
  const input = new Float32Array(batch * 784);
  for (let r = 0; r < batch; r++) input.set(digitPixels(r), r * 784);
  try {
    for (let i = 0; i < 20; i++) await classifier.run(input, batch);
    let images = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      await classifier.run(input, batch);
      images += batch;
    }
    return images / ((performance.now() - started) / 1000);
  } finally {
    await classifier.close();
  }
}

const pad = (value: string | number, width: number) => String(value).padStart(width);
const fixed = (value: number | undefined, digits: number) =>
  value === undefined ? '–' : value.toFixed(digits);

async function main(): Promise<void> {
  const requests = await buildRequests();
  process.stderr.write(
    `gpu-host benchmark: ${ROUNDS} rounds of ${SECONDS} s per cell (after ${WARMUP_SECONDS} s of warm-up), best round kept\n`,
  );
  // Every configuration runs at once, each its own child process, idle while the others are measured;
  // rounds go through every cell in turn, so a burst of load from elsewhere on the machine spoils one
  // round of a cell rather than all of it.
  const hostEnv: Record<Mode, Record<string, string>> = {
    off: { DYNAMIC_BATCHING: 'off' },
    on: { DYNAMIC_BATCHING: 'on', EAGER_BATCHING: 'on' },
    delay: { DYNAMIC_BATCHING: 'on', EAGER_BATCHING: 'off' },
    null: { DYNAMIC_BATCHING: 'off', GPU_HOST_NULL_MODEL: 'on' },
  };
  const hosts = {} as Record<Mode, ChildHost>;
  for (const mode of Object.keys(hostEnv) as Mode[]) hosts[mode] = await startChildHost(hostEnv[mode]);
  const plan: Array<{ route: Route; batching: Mode; concurrency: number }> = [];
  for (const batching of ['off', 'on', 'delay'] as const) {
    for (const route of ['tensor', 'image'] as const) {
      for (const concurrency of CONCURRENCY) plan.push({ route, batching, concurrency });
    }
    if (batching !== 'delay') plan.push({ route: 'tensor-json', batching, concurrency: 64 });
  }
  for (const concurrency of CONCURRENCY) plan.push({ route: 'tensor', batching: 'null', concurrency });

  const best = new Map<string, Cell>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`round ${round}\n`);
      for (const { route, batching, concurrency } of plan) {
        const cell = await measure(hosts[batching], route, batching, concurrency, requests[route]);
        const key = `${route}/${batching}/${concurrency}`;
        const previous = best.get(key);
        if (!previous || cell.requestsPerSecond > previous.requestsPerSecond) best.set(key, cell);
      }
    }
  } finally {
    await Promise.all(Object.values(hosts).map((h) => h.stop()));
  }
  const cells = plan.map(
    ({ route, batching, concurrency }) => best.get(`${route}/${batching}/${concurrency}`) as Cell,
  );

  const find = (route: Route, batching: Mode, c: number) =>
    cells.find((x) => x.route === route && x.batching === batching && x.concurrency === c) as Cell;
  const on64 = find('tensor', 'on', 64);
  const delay64 = find('tensor', 'delay', 64);
  const off64 = find('tensor', 'off', 64);
  const null64 = find('tensor', 'null', 64);
  const formedBatch = Math.max(1, Math.round(on64.meanBatch ?? 1));
  process.stderr.write(`raw onnxruntime at batch ${formedBatch} and 1\n`);
  let rawFormed = 0;
  let rawOne = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    rawFormed = Math.max(rawFormed, await rawOnnx(formedBatch, 1));
    rawOne = Math.max(rawOne, await rawOnnx(1, 1));
  }
  const lowerCeiling = Math.min(null64.requestsPerSecond, rawFormed);
  /** The load generator's own CPU in a cell: share of one core, and microseconds per answered request. */
  const clientCpu = (x: Cell) => ({
    percent: (x.clientCpuSeconds / x.seconds) * 100,
    usPerRequest: (x.clientCpuSeconds * 1e6) / Math.max(1, x.requests + x.errors),
  });
  const clientLine = (x: Cell, label: string) => {
    const { percent, usPerRequest } = clientCpu(x);
    return `${label} ${percent.toFixed(0)} % of a core (${usPerRequest.toFixed(0)} µs per request)`;
  };
  const batchingGain = on64.requestsPerSecond / off64.requestsPerSecond;
  const delayGain = delay64.requestsPerSecond / off64.requestsPerSecond;
  const freeModelGain = null64.requestsPerSecond / off64.requestsPerSecond;
  const ofCeiling = on64.requestsPerSecond / lowerCeiling;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `gpu-host benchmark — ${availableParallelism()} × ${cpu}, Node ${process.version}, model ${MODEL}/1 (max batch ${manifest.maxBatchSize}, queue delay ${manifest.dynamicBatching.maxQueueDelayMicroseconds} µs); best of ${ROUNDS} rounds of ${SECONDS} s per cell`,
    '',
    `| route                 | batching  | conc. |   req/s | p50 ms | p99 ms | mean batch |`,
    `| --------------------- | --------- | ----: | ------: | -----: | -----: | ---------: |`,
    ...cells.map((x) => {
      const route = {
        tensor: 'tensor (binary FP32)',
        'tensor-json': 'tensor (JSON)',
        image: 'image (PNG, top 3)',
      }[x.route];
      const batching = { off: 'off', on: 'on', delay: 'on, delay', null: 'no model' }[x.batching];
      return `| ${route.padEnd(21)} | ${batching.padEnd(9)} | ${pad(x.concurrency, 5)} | ${pad(Math.round(x.requestsPerSecond), 7)} | ${pad(fixed(x.p50Ms, 2), 6)} | ${pad(fixed(x.p99Ms, 2), 6)} | ${pad(fixed(x.meanBatch, 1), 10)} |${x.errors > 0 ? ` ${x.errors} errors` : ''}`;
    }),
    '',
    'Ceilings',
    `  HTTP server without inference (GPU_HOST_NULL_MODEL=on), tensor route, c=64: ${Math.round(null64.requestsPerSecond)} req/s`,
    `  raw onnxruntime session in-process at batch ${formedBatch} (the mean batch formed at c=64): ${Math.round(rawFormed)} images/s; at batch 1: ${Math.round(rawOne)} images/s`,
    '',
    'Targets (tensor route, c=64)',
    `  batching on / off: ${batchingGain.toFixed(2)}× (target ≥ 2×) ${batchingGain >= 2 ? 'met' : 'NOT met'}; with Triton's fixed queue delay: ${delayGain.toFixed(2)}×`,
    `    (the bound for any batching, no model at all / off: ${freeModelGain.toFixed(2)}×)`,
    `  batching on / lower ceiling (${Math.round(lowerCeiling)}): ${(ofCeiling * 100).toFixed(0)} % (target ≥ 50 %) ${ofCeiling >= 0.5 ? 'met' : 'NOT met'}`,
    '',
    'Load generator (this process, on the same cores; CPU in the measured window, tensor route, c=64)',
    `  ${clientLine(off64, 'off:')}; ${clientLine(on64, 'on:')}; ${clientLine(null64, 'no model:')}`,
  ];
  console.log(lines.join('\n'));
  const round = (v: number | undefined, d = 2) =>
    v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d;
  console.log(
    JSON.stringify({
      machine: { cpus: availableParallelism(), cpu, node: process.version },
      secondsPerCell: SECONDS,
      rounds: ROUNDS,
      cells: cells.map((x) => ({
        route: x.route,
        batching: x.batching,
        concurrency: x.concurrency,
        requestsPerSecond: Math.round(x.requestsPerSecond),
        p50Ms: round(x.p50Ms, 3),
        p99Ms: round(x.p99Ms, 3),
        meanBatch: round(x.meanBatch, 1),
        errors: x.errors,
        clientCpuPercent: round(clientCpu(x).percent, 1),
        clientCpuUsPerRequest: round(clientCpu(x).usPerRequest, 1),
      })),
      ceilings: {
        httpWithoutInferenceC64: Math.round(null64.requestsPerSecond),
        rawOnnx: {
          batch: formedBatch,
          imagesPerSecond: Math.round(rawFormed),
          batch1ImagesPerSecond: Math.round(rawOne),
        },
      },
      targets: {
        batchingOnOverOffC64: round(batchingGain),
        delayOverOffC64: round(delayGain),
        noModelOverOffC64: round(freeModelGain),
        tensorOverLowerCeilingC64: round(ofCeiling),
      },
    }),
  );
}

await main();
