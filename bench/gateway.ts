import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { issueUploadToken } from '../gateway/upload-token.ts';
import { startTestRedis } from '../test/support/redis-server.ts';

/**
 * `npm run bench:gateway`: on loopback, each server in a child process of its own and the clients
 * here. (1) Idle subscribers: IDLE connections, each subscribed to one upload, held by the real
 * gateway and by a plain `ws`-library server; memory per connection from the server's RSS (after a
 * GC) before and after. (2) Delivery: SUBSCRIBERS clients, each subscribed to PER_CLIENT uploads; the
 * server is handed a prediction for every upload and we time until every client has all of its own:
 * the gateway's socket routes with the in-memory relay, the same with results arriving through Redis
 * from another relay, and the `ws` baseline. Best of ROUNDS. The last line is the JSON.
 */

const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000);
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** No phase may take longer: the benchmark stops instead of hanging. */
const PHASE_TIMEOUT_MS = 60_000;

type Kind = 'gateway' | 'uws' | 'uws-redis' | 'ws';

/** The upload-token secret of this run's servers. */
const BENCH_SECRET = randomBytes(32).toString('base64url');

interface Server {
  readonly kind: Kind;
  readonly url: string;
  rss(): Promise<{ rss: number; connections: number }>;
  publish(uploadIds: string[]): Promise<number>;
  stop(): Promise<void>;
}

/** Waits for the child's next message of `type`, within the phase timeout. */
function reply<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${type} from the server within ${PHASE_TIMEOUT_MS} ms`)),
      PHASE_TIMEOUT_MS,
    );
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
  });
}

async function startServer(kind: Kind, redisUrl = ''): Promise<Server> {
  const child = fork('bench/gateway-server-child.ts', [kind, redisUrl, BENCH_SECRET], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The AWS SDK's Node-version notice would otherwise be printed by every server started.
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const { port } = await reply<{ port: number }>(child, 'ready');
  return {
    kind,
    url: `ws://127.0.0.1:${port}/ws`,
    async rss() {
      child.send({ type: 'rss' });
      return reply(child, 'rss');
    },
    async publish(uploadIds) {
      child.send({ type: 'publish', uploadIds });
      return (await reply<{ ms: number }>(child, 'published')).ms;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

/** A client socket and the predictions it has received. */
interface Client {
  readonly ws: WebSocket;
  received: number;
}

/** Opens `count` sockets (200 at a time) and subscribes each to its uploads; resolves when all are subscribed. */
async function openClients(url: string, uploads: string[][], onPrediction: () => void): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  const openOne = async (ids: string[]) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const client: Client = { ws, received: 0 };
    let pending = ids.length;
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.on('message', (raw) => {
        const text = String(raw);
        // The type is the first field of every server message: no parse needed to count.
        if (text.startsWith('{"type":"prediction"')) {
          client.received++;
          onPrediction();
        } else if (text.startsWith('{"type":"subscribed"') && --pending === 0) resolve();
      });
      ws.once('error', reject);
    });
    await once(ws, 'open');
    for (const uploadId of ids) {
      ws.send(
        JSON.stringify({ type: 'subscribe', uploadId, token: issueUploadToken(BENCH_SECRET, uploadId) }),
      );
    }
    await subscribed;
    clients.push(client);
  };
  const worker = async () => {
    while (next < uploads.length) {
      if (Date.now() > deadline) throw new Error('opening connections took too long');
      await openOne(uploads[next++] as string[]);
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  return clients;
}

async function closeClients(clients: Client[]): Promise<void> {
  await Promise.all(
    clients.map(async ({ ws }) => {
      const closed = once(ws, 'close');
      ws.terminate();
      await closed;
    }),
  );
}

const uploadsFor = (clients: number, each: number) =>
  Array.from({ length: clients }, () => Array.from({ length: each }, () => randomUUID()));

interface IdleFigures {
  readonly server: string;
  readonly connections: number;
  readonly openSeconds: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly bytesPerConnection: number;
}

async function idle(kind: Kind): Promise<IdleFigures> {
  const server = await startServer(kind);
  try {
    const before = await server.rss();
    const started = performance.now();
    const clients = await openClients(server.url, uploadsFor(IDLE, 1), () => {});
    const openSeconds = (performance.now() - started) / 1000;
    const after = await server.rss();
    await closeClients(clients);
    return {
      server: kind === 'gateway' ? 'gateway (uWS)' : 'ws library',
      connections: clients.length,
      openSeconds,
      rssBeforeMiB: before.rss / 2 ** 20,
      rssAfterMiB: after.rss / 2 ** 20,
      bytesPerConnection: (after.rss - before.rss) / clients.length,
    };
  } finally {
    await server.stop();
  }
}

interface DeliveryFigures {
  readonly server: string;
  readonly subscribers: number;
  readonly results: number;
  readonly resultsPerSecond: number;
  readonly seconds: number;
  readonly intakeSeconds: number;
}

const DELIVERY_NAMES: Record<Kind, string> = {
  gateway: 'gateway',
  uws: 'gateway routes, in-memory relay',
  'uws-redis': 'gateway routes, via Redis',
  ws: 'ws library, in-memory relay',
};

async function delivery(kind: Kind, redisUrl?: string): Promise<DeliveryFigures> {
  const server = await startServer(kind, redisUrl);
  try {
    let best: DeliveryFigures | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const uploads = uploadsFor(SUBSCRIBERS, PER_CLIENT);
      const total = SUBSCRIBERS * PER_CLIENT;
      let received = 0;
      let done: () => void = () => {};
      const all = new Promise<void>((resolve) => {
        done = resolve;
      });
      const clients = await openClients(server.url, uploads, () => {
        if (++received === total) done();
      });
      const started = performance.now();
      const intakeMs = await server.publish(uploads.flat());
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${received} of ${total} results arrived within ${PHASE_TIMEOUT_MS} ms`)),
          PHASE_TIMEOUT_MS,
        ).unref(),
      );
      await Promise.race([all, timeout]);
      const seconds = (performance.now() - started) / 1000;
      const short = clients.filter((c) => c.received !== PER_CLIENT).length;
      if (short > 0) throw new Error(`${short} clients did not get exactly their ${PER_CLIENT} results`);
      await closeClients(clients);
      const figures = {
        server: DELIVERY_NAMES[kind],
        subscribers: SUBSCRIBERS,
        results: total,
        resultsPerSecond: total / seconds,
        seconds,
        intakeSeconds: intakeMs / 1000,
      };
      if (!best || figures.resultsPerSecond > best.resultsPerSecond) best = figures;
    }
    return best as DeliveryFigures;
  } finally {
    await server.stop();
  }
}

const load = () => loadavg().map((l) => l.toFixed(2));
const loadBefore = load();
const startedAt = performance.now();
console.log(`bench:gateway on ${cpus().length} cores, load average ${loadBefore.join(' ')}`);

const idleRows = [await idle('gateway'), await idle('ws')];
const redis = await startTestRedis();
let deliveryRows: DeliveryFigures[];
try {
  deliveryRows = [await delivery('uws'), await delivery('uws-redis', redis.url), await delivery('ws')];
} finally {
  await redis.stop();
}
const loadAfter = load();

const mib = (n: number) => n.toFixed(1);
console.log(`\nIdle subscribers (one subscription each), server RSS after a GC`);
console.log('| server | connections | open s | RSS before MiB | RSS after MiB | bytes/connection |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of idleRows) {
  console.log(
    `| ${r.server} | ${r.connections} | ${r.openSeconds.toFixed(1)} | ${mib(r.rssBeforeMiB)} | ${mib(r.rssAfterMiB)} | ${Math.round(r.bytesPerConnection)} |`,
  );
}
console.log(`\nDelivery: ${SUBSCRIBERS} subscribers × ${PER_CLIENT} uploads each, best of ${ROUNDS}`);
console.log('| server | results | results/s | all delivered s | intake s |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of deliveryRows) {
  console.log(
    `| ${r.server} | ${r.results} | ${Math.round(r.resultsPerSecond)} | ${r.seconds.toFixed(3)} | ${r.intakeSeconds.toFixed(3)} |`,
  );
}
const [gatewayIdle, wsIdle] = idleRows as [IdleFigures, IdleFigures];
const [memory, viaRedis, wsDelivery] = deliveryRows as [DeliveryFigures, DeliveryFigures, DeliveryFigures];
console.log(
  `\nuWS gateway vs ws: ${(wsIdle.bytesPerConnection / gatewayIdle.bytesPerConnection).toFixed(2)}× less memory per connection, ` +
    `${(memory.resultsPerSecond / wsDelivery.resultsPerSecond).toFixed(2)}× the results/s; Redis costs ` +
    `${(100 * (1 - viaRedis.resultsPerSecond / memory.resultsPerSecond)).toFixed(0)}% of in-memory throughput. ` +
    `Load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${((performance.now() - startedAt) / 1000).toFixed(0)} s.`,
);
console.log(
  JSON.stringify({
    bench: 'gateway',
    cores: cpus().length,
    loadAverageBefore: loadBefore.map(Number),
    loadAverageAfter: loadAfter.map(Number),
    idle: idleRows,
    delivery: deliveryRows,
  }),
);
