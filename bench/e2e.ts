import { mkdir } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../contracts/inference-api.ts';
import { imageInferRequest } from '../lambda/inference-client.ts';
import { mnistDigitImage } from '../test/support/images.ts';
import { ProcessStack } from '../test/support/process-stack.ts';
import { breakdowns, readStageLogs, STAGE_NAMES, type StageBreakdown } from './e2e-stages.ts';
import { nowMs, PushUser, pollingUpload, type UserTiming } from './e2e-user.ts';
import { runLoad } from './gpu-host-load.ts';

// `npm run bench:e2e [-- --profile DIR]`: the system as separate processes (start:s3, start:gpu-host,
// start:gateway, the parts reaching each other directly on loopback), and for 1, 16 and 64 simulated
// users the time from "the presigned PUT completed" to "the client has the verdict": pushed over the
// WebSocket, then polled every 500 ms, then the gpu-host's image route alone at the same concurrency
// (the irreducible work). Where the time went comes from the components' own log fields (the handler's
// `stages`, the gateway's `receivedAt`). Every loop is bounded: a fixed number of photos per user.
// `--profile DIR` runs the S3+Lambda process and the gateway under --cpu-prof (profiles in DIR, one
// folder per part); `--quick` sends fewer photos (a smoke run, too few for a steady p99).

const { values } = parseArgs({ options: { profile: { type: 'string' }, quick: { type: 'boolean' } } });
const profileDir = values.profile ? path.resolve(values.profile) : undefined;
const quick = values.quick === true;

const LEVELS = [1, 16, 64] as const;
/** Photos per user, per mode and level: enough for a p99 at 16 and 64 users, bounded in time. */
const PUSH_PER_USER: Record<number, number> = quick ? { 1: 20, 16: 4, 64: 2 } : { 1: 60, 16: 16, 64: 8 };
const POLL_PER_USER: Record<number, number> = quick ? { 1: 4, 16: 1, 64: 1 } : { 1: 12, 16: 3, 64: 2 };
const POLL_INTERVAL_MS = 500;
const IMAGE_ROUTE_MS = quick ? 1_500 : 4_000;
const TARGETS = { pushP50At1Ms: 15, pushP99At16Ms: 100, pushVsPollP50: 10, throughputShareAt64: 0.4 };

const images = await Promise.all(Array.from({ length: 20 }, (_, i) => mnistDigitImage(i % 10, 1 + i)));
const imageFor = (i: number) => images[i % images.length] as Uint8Array;

if (profileDir) await mkdir(profileDir, { recursive: true });
const profileArgs = (name: string): string[] =>
  // One folder per part: each thread (tsx's loader runs in one) writes its own profile.
  profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`] : [];
const stack = await ProcessStack.start({
  direct: true,
  // start:s3's own defaults, not the fault tests' fractions of a second: the sweep lists the bucket.
  redriveIntervalMs: 5_000,
  sweepAgeSeconds: 60,
  env: {
    // One address sends every user's requests here: lift the per-client presign limit.
    gateway: { PRESIGN_BURST: '100000', PRESIGN_PER_MINUTE: '1000000' },
  },
  nodeArgs: { gateway: profileArgs('gateway'), s3: profileArgs('s3-lambda') },
});

interface Cell {
  readonly mode: 'push' | 'poll' | 'image-route';
  readonly users: number;
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly perSecond: number;
  readonly stagesP50?: Record<keyof StageBreakdown, number>;
}

const load = { before: loadavg()[0] ?? 0, after: 0 };
const cells: Cell[] = [];
const timingsByCell = new Map<Cell, UserTiming[]>();
try {
  // Warm-up: the first requests pay for connections, JIT and the model's first run.
  await pushCell(4, 5);
  cells.length = 0;
  for (const users of LEVELS) cells.push(await pushCell(users, PUSH_PER_USER[users] ?? 1));
  for (const users of LEVELS) cells.push(await pollCell(users, POLL_PER_USER[users] ?? 1));
  for (const users of LEVELS) cells.push(await imageRouteCell(users));
  load.after = loadavg()[0] ?? 0;
  if (profileDir) {
    // Graceful stops, so that --cpu-prof writes the profiles.
    await stack.stopPart('gateway', 'SIGTERM');
    await stack.stopPart('s3', 'SIGTERM');
  }
  const logs = await readStageLogs(
    path.join(stack.dataDir, 's3.log'),
    path.join(stack.dataDir, 'gateway.log'),
  );
  for (const [cell, timings] of timingsByCell) {
    const parts = breakdowns(timings, logs);
    if (parts.length === 0) continue;
    const medians = Object.fromEntries(
      STAGE_NAMES.map((name) => [name, round(percentile(sortedBy(parts, name), 0.5))]),
    ) as Record<keyof StageBreakdown, number>;
    cells[cells.indexOf(cell)] = { ...cell, stagesP50: medians };
  }
} finally {
  await stack.dispose();
}
report();

async function pushCell(users: number, perUser: number): Promise<Cell> {
  const sockets = await Promise.all(Array.from({ length: users }, () => PushUser.connect(stack.gatewayUrl)));
  try {
    return await timedCell('push', users, perUser, (u, i) =>
      (sockets[u] as PushUser).upload(stack.gatewayUrl, imageFor(i)),
    );
  } finally {
    for (const s of sockets) s.close();
  }
}

function pollCell(users: number, perUser: number): Promise<Cell> {
  return timedCell('poll', users, perUser, (_u, i) =>
    pollingUpload(stack.gatewayUrl, imageFor(i), POLL_INTERVAL_MS),
  );
}

/** `users` closed loops of `perUser` photos each; latency is PUT done → verdict, rate is photos per wall second. */
async function timedCell(
  mode: 'push' | 'poll',
  users: number,
  perUser: number,
  one: (user: number, photo: number) => Promise<UserTiming>,
): Promise<Cell> {
  const timings: UserTiming[] = [];
  let errors = 0;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let p = 0; p < perUser; p++) {
        try {
          timings.push(await one(u, u * perUser + p));
        } catch (error) {
          errors++;
          if (errors <= 3) console.error(`${mode} ${users}: ${String(error)}`);
        }
      }
    }),
  );
  const seconds = (nowMs() - started) / 1000;
  const latencies = timings.map((t) => t.verdictAt - t.putDoneAt).sort((a, b) => a - b);
  const cell: Cell = {
    mode,
    users,
    count: timings.length,
    errors: errors + timings.filter((t) => t.final !== 'prediction').length,
    p50Ms: round(percentile(latencies, 0.5)),
    p99Ms: round(percentile(latencies, 0.99)),
    maxMs: round(latencies.at(-1) ?? Number.NaN),
    perSecond: round(timings.length / seconds),
  };
  timingsByCell.set(cell, timings);
  return cell;
}

/** The gpu-host's image route alone, with the request the Lambda sends, at the same concurrency. */
async function imageRouteCell(users: number): Promise<Cell> {
  const requests = images.slice(0, 10).map((image) => {
    const { body, headerLength } = imageInferRequest(image, 3);
    return {
      path: '/v2/models/digits/infer',
      body,
      headers: {
        'content-type': 'application/octet-stream',
        [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
      },
    };
  });
  const result = await runLoad({
    origin: `http://127.0.0.1:${stack.ports['gpu-host']}`,
    requests,
    concurrency: users,
    durationMs: IMAGE_ROUTE_MS,
    warmupMs: 500,
  });
  return {
    mode: 'image-route',
    users,
    count: result.requests,
    errors: result.errors,
    p50Ms: round(result.p50Ms),
    p99Ms: round(result.p99Ms),
    maxMs: Number.NaN,
    perSecond: round(result.requestsPerSecond),
  };
}

function report(): void {
  const find = (mode: Cell['mode'], users: number) => cells.find((c) => c.mode === mode && c.users === users);
  const push1 = find('push', 1);
  const push16 = find('push', 16);
  const poll1 = find('poll', 1);
  const push64 = find('push', 64);
  const route64 = find('image-route', 64);
  const pushVsPoll = push1 && poll1 ? round(poll1.p50Ms / push1.p50Ms) : Number.NaN;
  const share64 = push64 && route64 ? round(push64.perSecond / route64.perSecond) : Number.NaN;
  const targets = {
    pushP50At1: {
      value: push1?.p50Ms,
      target: `<= ${TARGETS.pushP50At1Ms} ms`,
      met: (push1?.p50Ms ?? Infinity) <= TARGETS.pushP50At1Ms,
    },
    pushP99At16: {
      value: push16?.p99Ms,
      target: `<= ${TARGETS.pushP99At16Ms} ms`,
      met: (push16?.p99Ms ?? Infinity) <= TARGETS.pushP99At16Ms,
    },
    pollOverPushP50At1: {
      value: pushVsPoll,
      target: `>= ${TARGETS.pushVsPollP50}x`,
      met: pushVsPoll >= TARGETS.pushVsPollP50,
    },
    throughputShareAt64: {
      value: share64,
      target: `>= ${TARGETS.throughputShareAt64}`,
      met: share64 >= TARGETS.throughputShareAt64,
    },
  };

  const header = ['mode', 'users', 'uploads', 'errors', 'p50 ms', 'p99 ms', 'max ms', 'per s'];
  const rows = cells.map((c) => [c.mode, c.users, c.count, c.errors, c.p50Ms, c.p99Ms, c.maxMs, c.perSecond]);
  console.log('\nPUT completed → verdict in hand (push, poll); the image route alone (request → answer):');
  printTable(header, rows);
  console.log('\nWhere the time went (p50 per stage, ms; outcome write runs beside delivery):');
  printTable(
    ['mode', 'users', ...STAGE_NAMES],
    cells.flatMap((c) =>
      c.stagesP50 ? [[c.mode, c.users, ...STAGE_NAMES.map((n) => c.stagesP50?.[n])]] : [],
    ),
  );
  console.log('\nTargets:');
  printTable(
    ['target', 'measured', 'wanted', 'met'],
    Object.entries(targets).map(([k, t]) => [k, t.value, t.target, t.met ? 'yes' : 'NO']),
  );
  console.log(
    `\nload average (1 min) before ${load.before.toFixed(2)}, after ${load.after.toFixed(2)}; ${availableParallelism()} cores${profileDir ? `; CPU profiles in ${profileDir}` : ''}\n`,
  );
  console.log(
    JSON.stringify({
      bench: 'e2e',
      cores: availableParallelism(),
      loadAverage: { before: round(load.before), after: round(load.after) },
      cells,
      targets,
    }),
  );
}

function printTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): void {
  const text = [header, ...rows].map((r) => r.map((v) => String(v ?? '-')));
  const widths = header.map((_, i) => Math.max(...text.map((r) => (r[i] ?? '').length)));
  for (const r of text) console.log(r.map((v, i) => v.padStart(widths[i] ?? 0)).join('  '));
}

function sortedBy(parts: readonly StageBreakdown[], name: keyof StageBreakdown): number[] {
  return parts.map((p) => p[name]).sort((a, b) => a - b);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
