import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { UploadResult } from '../../contracts/results.ts';
import type { CreateUploadResponse } from '../../contracts/uploads.ts';
import type { GatewayConfig } from '../../gateway/config.ts';
import { type RunningGateway, startGateway } from '../../gateway/gateway.ts';
import { writeOutcomeRecord } from '../../platform/outcome-record.ts';
import { RESULT_SIGNATURE_HEADER, signResult } from '../../platform/result-signature.ts';
import { createS3Client, type S3Connection } from '../../platform/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../stack/local-s3.ts';
import { freePort } from '../support/process-stack.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { predictionResult } from '../support/results.ts';
import { createUpload } from '../support/uploads.ts';
import { isPrediction, TestSocket } from '../support/ws-client.ts';

// Gateways that share nothing but Redis: real redis-server per test, real gateways on free ports, real
// WebSocket clients; the Lambda's part is played by signed POSTs to /internal/results.

const RESULT_SECRET = 'balancer-test-result-secret-0123456789';
const TOKEN_SECRET = 'balancer-test-upload-token-secret-012345';
// Presigning needs credentials, not a server: most tests have no S3 at all (lookups there fail fast).
const NO_S3: S3Connection = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: LOCAL_S3_CREDENTIALS,
};

function configFor(redisUrl: string | undefined, s3: S3Connection = NO_S3): GatewayConfig {
  return {
    port: 0,
    bind: '127.0.0.1',
    publicDir: '/nonexistent',
    s3,
    bucket: 'pictor-local',
    uploadUrlTtlSeconds: 300,
    maxUploadBytes: 1024 * 1024,
    defaultModel: 'digits',
    resultSigningSecret: RESULT_SECRET,
    uploadTokenSecret: TOKEN_SECRET,
    resultTtlSeconds: 600,
    maxStoredResults: 10_000,
    maxStoredErrors: 1_000,
    inferenceUrl: undefined,
    redisUrl,
    presignRateLimit: { burst: 1_000, perMinute: 60_000, maxClients: 100 },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function redisForTest(): Promise<TestRedis> {
  const redis = await startTestRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

async function gatewayOn(redisUrl: string | undefined, s3?: S3Connection): Promise<RunningGateway> {
  const gateway = await startGateway(configFor(redisUrl, s3), pino({ level: 'silent' }));
  cleanups.push(() => gateway.close());
  return gateway;
}

async function twoGateways(s3?: S3Connection): Promise<[RunningGateway, RunningGateway]> {
  const redis = await redisForTest();
  return [await gatewayOn(redis.url, s3), await gatewayOn(redis.url, s3)];
}

async function socketOn(gatewayUrl: string): Promise<TestSocket> {
  const socket = await TestSocket.open(gatewayUrl);
  cleanups.push(async () => socket.close());
  return socket;
}

async function subscribe(socket: TestSocket, upload: CreateUploadResponse): Promise<void> {
  socket.send({ type: 'subscribe', uploadId: upload.uploadId, token: upload.token });
  await socket.waitFor((m) => m.type === 'subscribed' && m.uploadId === upload.uploadId);
}

/** Posts a result as the Lambda does, signed; resolves with the gateway's answer. */
async function postResult(
  gatewayUrl: string,
  result: UploadResult,
): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(result);
  const response = await fetch(`${gatewayUrl}/internal/results`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [RESULT_SIGNATURE_HEADER]: await signResult(body, RESULT_SECRET, Date.now() / 1000),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}

async function poll(gatewayUrl: string, upload: CreateUploadResponse) {
  const response = await fetch(`${gatewayUrl}/api/predictions/${upload.uploadId}`, {
    headers: { authorization: `Bearer ${upload.token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const errorResult = (
  uploadId: string,
  final: boolean,
  message = 'the inference host is unreachable',
): UploadResult => ({
  type: 'error',
  error: { uploadId, code: final ? 'unsupported_image' : 'inference_failed', message, final },
});

/** Predictions for `uploadId` the socket received. */
const predictionsFor = (socket: TestSocket, uploadId: string) =>
  socket.messages.filter(isPrediction).filter((m) => m.uploadId === uploadId);

/**
 * Waits until a marker result (posted after everything else) reached the socket: the bus keeps order,
 * so anything still to come for earlier uploads would have come by then.
 */
async function settle(socket: TestSocket, gatewayUrl: string, postVia: string): Promise<void> {
  const marker = await createUpload(gatewayUrl, { contentType: 'image/png', size: 100 });
  await subscribe(socket, marker);
  await postResult(postVia, predictionResult(marker.uploadId, '0'));
  await socket.waitFor((m) => isPrediction(m) && m.uploadId === marker.uploadId);
}

describe('two gateways sharing one Redis', () => {
  it('a verdict posted via gateway B reaches the client that presigned and subscribed on gateway A', async () => {
    const [a, b] = await twoGateways();
    const upload = await createUpload(a.url, { contentType: 'image/png', size: 100 });
    const socket = await socketOn(a.url);
    await subscribe(socket, upload);

    const answer = await postResult(b.url, predictionResult(upload.uploadId, '4'));

    expect(answer).toEqual({ status: 200, body: { outcome: 'stored', delivered: 0 } });
    expect(await socket.waitFor(isPrediction)).toMatchObject({ uploadId: upload.uploadId, label: '4' });
    await settle(socket, a.url, b.url);
    expect(predictionsFor(socket, upload.uploadId)).toHaveLength(1);
  });

  it('a result that arrived before the client subscribed is delivered on subscribe, on either gateway, once', async () => {
    const [a, b] = await twoGateways();
    const upload = await createUpload(a.url, { contentType: 'image/png', size: 100 });
    await postResult(a.url, predictionResult(upload.uploadId, '9'));

    for (const gateway of [b, a]) {
      const socket = await socketOn(gateway.url);
      await subscribe(socket, upload);
      expect(await socket.waitFor(isPrediction)).toMatchObject({ uploadId: upload.uploadId, label: '9' });
      await settle(socket, gateway.url, gateway === a ? b.url : a.url);
      expect(predictionsFor(socket, upload.uploadId)).toHaveLength(1);
    }
  });

  it('polling answers the same on any gateway, and the first final result wins on all of them', async () => {
    const [a, b] = await twoGateways();
    const upload = await createUpload(a.url, { contentType: 'image/png', size: 100 });
    const failed = await createUpload(b.url, { contentType: 'image/png', size: 100 });

    expect(await poll(b.url, upload)).toMatchObject({
      status: 202,
      body: { status: 'pending', final: false },
    });
    await postResult(a.url, errorResult(upload.uploadId, false));
    expect(await poll(b.url, upload)).toMatchObject({
      status: 202,
      body: { status: 'failed', final: false },
    });
    expect((await postResult(b.url, predictionResult(upload.uploadId, '3'))).body).toMatchObject({
      outcome: 'replaced',
    });
    for (const gateway of [a, b]) {
      expect(await poll(gateway.url, upload)).toMatchObject({
        status: 200,
        body: { status: 'done', final: true, prediction: { label: '3' } },
      });
    }

    // A final error is final everywhere: a later verdict (a stray retry) changes nothing.
    await postResult(b.url, errorResult(failed.uploadId, true, 'not an image'));
    expect((await postResult(a.url, predictionResult(failed.uploadId))).body).toMatchObject({
      outcome: 'duplicate',
    });
    for (const gateway of [a, b]) {
      expect(await poll(gateway.url, failed)).toMatchObject({
        status: 422,
        body: { status: 'failed', final: true, error: { message: 'not an image' } },
      });
    }
  });

  it('a client that loses gateway A and reconnects to B gets the verdict it missed', async () => {
    const [a, b] = await twoGateways();
    const upload = await createUpload(a.url, { contentType: 'image/png', size: 100 });
    const first = await socketOn(a.url);
    await subscribe(first, upload);
    first.close();
    await first.closed;

    await postResult(a.url, predictionResult(upload.uploadId, '6'));

    const second = await socketOn(b.url);
    await subscribe(second, upload);
    expect(await second.waitFor(isPrediction)).toMatchObject({ uploadId: upload.uploadId, label: '6' });
  });

  it('an outcome only S3 has, found by a poll on gateway B, reaches the subscriber on gateway A', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pictor-balancer-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const s3 = await startLocalS3({
      port: 0,
      host: '127.0.0.1',
      directory: dataDir,
      bucket: 'pictor-local',
      allowedOrigins: ['http://127.0.0.1:*'],
      region: 'us-east-1',
    });
    cleanups.push(() => s3.close());
    const connection = { region: 'us-east-1', endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS };
    const [a, b] = await twoGateways(connection);
    const upload = await createUpload(a.url, { contentType: 'image/png', size: 100 });
    const socket = await socketOn(a.url);
    await subscribe(socket, upload);
    // The Lambda recorded the outcome, but its POST reached no gateway (both were busy restarting, say).
    const client = createS3Client(connection);
    await writeOutcomeRecord(client, 'pictor-local', upload.uploadId, predictionResult(upload.uploadId, '2'));
    client.destroy();

    expect(await poll(b.url, upload)).toMatchObject({ status: 200, body: { prediction: { label: '2' } } });

    expect(await socket.waitFor(isPrediction)).toMatchObject({ uploadId: upload.uploadId, label: '2' });
  });
});

/** `npm run start:gateway` as its own process (stack/gateway-main.ts), so that it can be killed -9. */
async function gatewayProcess(
  redisUrl: string,
): Promise<{ url: string; child: ChildProcess; exited: Promise<unknown>; stderr: () => string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pictor-gw-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'stack/gateway-main.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(port),
      GATEWAY_BIND: '127.0.0.1',
      PUBLIC_DIR: path.join(dataDir, 'no-app'),
      S3_ENDPOINT: NO_S3.endpoint,
      INFERENCE_URL: 'http://127.0.0.1:9',
      RESULT_SIGNING_SECRET: RESULT_SECRET,
      UPLOAD_TOKEN_SECRET: TOKEN_SECRET,
      PRESIGN_BURST: '1000',
      REDIS_URL: redisUrl,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) return { url, child, exited, stderr: () => stderr };
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { url, child, exited, stderr: () => stderr };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the gateway process did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A browser's page: its uploads, and every socket it used; on a lost connection it reconnects to `fallbackUrl`. */
class Page {
  readonly sockets: TestSocket[] = [];

  constructor(readonly uploads: CreateUploadResponse[]) {}

  get current(): TestSocket {
    return this.sockets.at(-1) as TestSocket;
  }

  /** Labels received for `uploadId` on every socket this page used. */
  labels(uploadId: string): string[] {
    return this.sockets.flatMap((socket) => predictionsFor(socket, uploadId).map((m) => m.label));
  }

  get done(): boolean {
    return this.sockets.length > 1 && this.uploads.every((u) => this.labels(u.uploadId).length > 0);
  }

  async connect(url: string, fallbackUrl: string): Promise<void> {
    const socket = await socketOn(url);
    this.sockets.push(socket);
    // Pending uploads only, as the app re-subscribes after a reconnect.
    for (const upload of this.uploads) {
      if (this.labels(upload.uploadId).length === 0) await subscribe(socket, upload);
    }
    if (url !== fallbackUrl) {
      // A failed reconnect shows up as missing verdicts below, with the uploads named.
      void socket.closed.then(() => this.connect(fallbackUrl, fallbackUrl)).catch(() => {});
    }
  }
}

describe('a gateway that dies under load', () => {
  it('loses nothing: its clients reconnect to the other gateway and get every verdict exactly once', async () => {
    const redis = await redisForTest();
    const a = await gatewayProcess(redis.url);
    expect(a.child.exitCode).toBeNull();
    const b = await gatewayOn(redis.url);

    // 12 pages × 4 uploads, presigned and subscribed on A.
    const pages: Page[] = [];
    for (let p = 0; p < 12; p++) {
      const uploads = await Promise.all(
        Array.from({ length: 4 }, () => createUpload(a.url, { contentType: 'image/png', size: 100 })),
      );
      pages.push(new Page(uploads));
    }
    for (const page of pages) await page.connect(a.url, b.url);
    const uploads = pages.flatMap((page) => page.uploads);
    const label = (i: number) => String(i % 10);

    // The Lambda posts to the load balancer: round robin, and a failed POST is retried on the other.
    let aliveA = true;
    const post = async (i: number) => {
      const upload = uploads[i] as CreateUploadResponse;
      const order = i % 2 === 0 && aliveA ? [a.url, b.url] : [b.url];
      for (const url of order) {
        try {
          const answer = await postResult(url, predictionResult(upload.uploadId, label(i)));
          if (answer.status === 200) return;
        } catch {
          // that gateway is gone: the next one takes it
        }
      }
      throw new Error(`no gateway took the result for upload ${i}`);
    };
    const half = Math.floor(uploads.length / 2);
    await Promise.all(Array.from({ length: half }, (_, i) => post(i)));
    // Mid-load: A is killed while posts are still going to it.
    const rest = Promise.all(Array.from({ length: uploads.length - half }, (_, j) => post(half + j)));
    a.child.kill('SIGKILL');
    await a.exited;
    aliveA = false;
    await rest;

    // Every page reconnects to B and ends with one verdict per upload.
    const deadline = Date.now() + 60_000;
    while (!pages.every((page) => page.done) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const page of pages) {
      expect(page.sockets).toHaveLength(2);
      // Anything still on its way to this socket would arrive before the marker.
      await settle(page.current, b.url, b.url);
      for (const upload of page.uploads) {
        const i = uploads.indexOf(upload);
        expect(page.labels(upload.uploadId), `upload ${i}`).toEqual([label(i)]);
      }
    }
  }, 120_000);
});

describe('start-up with REDIS_URL', () => {
  it('a gateway process that cannot reach Redis says so, naming REDIS_URL and what to do, and exits', async () => {
    const port = await freePort();
    const gateway = await gatewayProcess(`redis://:hunter2-password@127.0.0.1:${port}`);
    await gateway.exited;

    expect(gateway.child.exitCode).toBe(1);
    expect(gateway.stderr()).toMatch(
      new RegExp(`REDIS_URL=redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/? cannot be reached`),
    );
    expect(gateway.stderr()).toMatch(/\(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
    expect(gateway.stderr()).toMatch(/unset REDIS_URL/);
    expect(gateway.stderr()).not.toContain('hunter2');
  });

  it('without REDIS_URL the gateway keeps results in its own memory and serves alone', async () => {
    const gateway = await gatewayOn(undefined);
    const upload = await createUpload(gateway.url, { contentType: 'image/png', size: 100 });
    const socket = await socketOn(gateway.url);
    await subscribe(socket, upload);
    await postResult(gateway.url, predictionResult(upload.uploadId, '8'));
    expect(await socket.waitFor(isPrediction)).toMatchObject({ label: '8' });
    expect(await poll(gateway.url, upload)).toMatchObject({ status: 200 });
  });
});
