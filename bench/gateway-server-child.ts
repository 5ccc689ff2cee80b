import { setImmediate as nextTurn } from 'node:timers/promises';
import uWS from '@trufflesuite/uws-js-unofficial';
import { pino } from 'pino';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { resultUploadId, type UploadResult } from '../contracts/results.ts';
import { clientMessageSchema } from '../contracts/ws-messages.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/gateway.ts';
import type { GatewayContext } from '../gateway/gateway-context.ts';
import { ModelCatalogue } from '../gateway/model-catalogue.ts';
import { OutcomeLookup } from '../gateway/outcome-lookup.ts';
import { PublicationLog } from '../gateway/publication-log.ts';
import { createResultRelay, type ResultRelay } from '../gateway/result-relay.ts';
import { resultMessage, uploadTopic } from '../gateway/server-messages.ts';
import { registerSocketRoutes } from '../gateway/socket-routes.ts';
import { verifyUploadToken } from '../gateway/upload-token.ts';
import { createS3Client } from '../platform/s3-client.ts';
import { assertNativeUws, listenExclusive } from '../platform/uws.ts';

/**
 * One server for `npm run bench:gateway`, in its own process so its memory is its own:
 * - `gateway`: the real gateway (startGateway), for idle connections;
 * - `uws`: the gateway's own `/ws` routes (socket-routes.ts) with the in-memory result relay;
 * - `uws-redis`: the same, results arriving through Redis from a second relay (another gateway);
 * - `ws`: the baseline, the `ws` library doing the same work (same messages, checks and relay).
 * Commands over IPC: `rss` (after a GC), `publish` (a prediction for each uploadId, 64 in flight).
 * Arguments: kind, REDIS_URL (or empty), the secret the upload tokens are signed with.
 */

type Kind = 'gateway' | 'uws' | 'uws-redis' | 'ws';
type Command = { type: 'rss' } | { type: 'publish'; uploadIds: string[] } | { type: 'stop' };

const kind = process.argv[2] as Kind;
const redisUrl = process.argv[3] || undefined;
/** Signs the upload tokens the clients present; the parent made it up for this run. */
const BENCH_SECRET = process.argv[4] ?? '';
const send = (message: unknown) => process.send?.(message);

function prediction(uploadId: string): UploadResult {
  return {
    type: 'prediction',
    prediction: {
      uploadId,
      model: 'digits',
      modelVersion: '1',
      label: '7',
      confidence: 0.93,
      topK: [
        { label: '7', confidence: 0.93 },
        { label: '1', confidence: 0.05 },
        { label: '9', confidence: 0.01 },
      ],
      predictedAt: new Date().toISOString(),
    },
  };
}

const config: GatewayConfig = {
  port: 0,
  bind: '127.0.0.1',
  publicDir: '/nonexistent',
  s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
  bucket: 'bench',
  uploadUrlTtlSeconds: 300,
  maxUploadBytes: 1024,
  defaultModel: 'digits',
  resultSigningSecret: BENCH_SECRET,
  uploadTokenSecret: BENCH_SECRET,
  resultTtlSeconds: 600,
  maxStoredResults: 200_000,
  maxStoredErrors: 10_000,
  inferenceUrl: undefined,
};
const silent = pino({ level: 'silent' });

let connections: () => number;
let intake: ResultRelay | undefined;
let relay: ResultRelay | undefined;
let close: () => Promise<void>;

if (kind === 'gateway') {
  const gateway = await startGateway(config, silent);
  connections = () => -1;
  close = () => gateway.close();
  send({ type: 'ready', port: gateway.port });
} else if (kind === 'uws' || kind === 'uws-redis') {
  assertNativeUws();
  const app = uWS.App();
  const s3 = createS3Client(config.s3);
  relay = createResultRelay({
    redisUrl: kind === 'uws-redis' ? redisUrl : undefined,
    ttlMs: 600_000,
    maxResults: 200_000,
  });
  const pushes = new PublicationLog();
  const context: GatewayContext = {
    app,
    config,
    s3,
    results: relay,
    pushes,
    models: new ModelCatalogue(undefined, config.defaultModel),
    outcomes: new OutcomeLookup(s3, config.bucket, relay, silent),
    log: silent,
    onUnexpected: () => {},
  };
  const sockets = registerSocketRoutes(context);
  // As gateway.ts does: every result from the relay goes to this gateway's subscribers of its upload.
  await relay.start((result) => {
    const uploadId = resultUploadId(result);
    pushes.record(uploadId);
    app.publish(uploadTopic(uploadId), JSON.stringify(resultMessage(result)));
  });
  // With Redis, results are taken in by another gateway's relay and reach this one through Redis.
  intake =
    kind === 'uws-redis' ? createResultRelay({ redisUrl, ttlMs: 600_000, maxResults: 200_000 }) : relay;
  const { listenSocket, port } = await listenExclusive(app, '127.0.0.1', 0, 'bench gateway');
  connections = () => sockets.size;
  close = async () => {
    uWS.us_listen_socket_close(listenSocket);
    for (const ws of sockets) ws.close();
    await relay?.close();
    if (intake !== relay) await intake?.close();
  };
  send({ type: 'ready', port });
} else {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: 4 * 1024,
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const topics = new Map<string, Set<WsSocket>>();
  wss.on('connection', (ws) => {
    const mine = new Set<string>();
    ws.on('message', (raw) => {
      let json: unknown;
      try {
        json = JSON.parse(String(raw));
      } catch {
        return ws.send(
          JSON.stringify({ type: 'rejected', code: 'invalid_json', message: 'messages must be JSON' }),
        );
      }
      const parsed = clientMessageSchema.safeParse(json);
      if (!parsed.success || parsed.data.type !== 'subscribe') return;
      const { uploadId, token } = parsed.data;
      if (!verifyUploadToken(BENCH_SECRET, uploadId, token)) return;
      mine.add(uploadId);
      const set = topics.get(uploadId) ?? new Set<WsSocket>();
      topics.set(uploadId, set);
      set.add(ws);
      ws.send(JSON.stringify({ type: 'subscribed', uploadId }));
    });
    ws.on('close', () => {
      for (const id of mine) topics.get(id)?.delete(ws);
    });
  });
  relay = createResultRelay({ ttlMs: 600_000, maxResults: 200_000 });
  await relay.start((result) => {
    const message = JSON.stringify(resultMessage(result));
    for (const ws of topics.get(resultUploadId(result)) ?? []) ws.send(message);
  });
  intake = relay;
  connections = () => wss.clients.size;
  close = async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await relay?.close();
  };
  send({ type: 'ready', port: (wss.address() as { port: number }).port });
}

process.on('message', (command: Command) => {
  void (async () => {
    if (command.type === 'rss') {
      global.gc?.();
      await nextTurn();
      global.gc?.();
      send({ type: 'rss', rss: process.memoryUsage().rss, connections: connections() });
    } else if (command.type === 'publish') {
      if (!intake) throw new Error(`${kind} does not publish`);
      const ids = command.uploadIds;
      const started = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < ids.length) await intake?.accept(prediction(ids[next++] as string));
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      send({ type: 'published', ms: performance.now() - started });
    } else {
      await close();
      process.exit(0);
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
