/**
 * Memory of the gateway while people read a large accuracy report (not a test):
 *
 *   npm run bench:report-serving [-- --mb 235 --readers 4]
 *
 * The real gateway (`gateway/main.ts`) runs as its own process against a local S3 server holding a
 * report page of `--mb` MB; `--readers` clients fetch it at once, half of them stalling for 3 s halfway
 * (a phone on a slow link). The baseline, measured in the same run, is the way the gateway used to
 * serve the page: the whole object read into a string, then sent (a 20-line uWS server in a process
 * of its own, `--baseline`). The figure is each server process's peak resident memory (VmHWM).
 *
 * Prints a table and, as the very last line, the same figures as one line of JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import uWS from '@trufflesuite/uws-js-unofficial';
import { createS3Client } from '../platform/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../stack/local-s3.ts';

const BUCKET = 'pictor-bench';
const REGION = 'us-east-1';
const KEY = 'reports/bench/report.html';
const SECRET = 'bench-secret-bench-secret-bench-secret';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '235' },
    readers: { type: 'string', default: '4' },
    baseline: { type: 'boolean', default: false },
    endpoint: { type: 'string' },
  },
});

if (values.baseline) {
  // The previous implementation, as it was: GetObject, transformToString, end(html).
  const s3 = createS3Client({ region: REGION, endpoint: values.endpoint, credentials: LOCAL_S3_CREDENTIALS });
  uWS
    .App()
    .get('/api/reports/latest/report.html', (res) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      void (async () => {
        const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
        const html = (await object.Body?.transformToString()) ?? '';
        if (!aborted) res.cork(() => res.writeHeader('content-type', 'text/html').end(html));
      })();
    })
    .listen('127.0.0.1', 0, (socket) => {
      process.stdout.write(
        `${JSON.stringify({ msg: 'gateway listening', port: uWS.us_socket_local_port(socket) })}\n`,
      );
    });
} else {
  await main();
}

async function main(): Promise<void> {
  const mb = Number(values.mb);
  const readers = Number(values.readers);
  const dir = await mkdtemp(path.join(tmpdir(), 'pictor-bench-report-'));
  const s3Server = await startLocalS3({
    port: 0,
    host: '127.0.0.1',
    directory: dir,
    bucket: BUCKET,
    allowedOrigins: ['http://127.0.0.1'],
    region: REGION,
  });
  const s3 = createS3Client({
    region: REGION,
    endpoint: s3Server.endpoint,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  try {
    const row = '<tr><th>garbage label</th><td>0</td></tr>\n';
    const page = Buffer.from(row.repeat(Math.ceil((mb * 1_000_000) / row.length)));
    const put = (Key: string, Body: string | Buffer) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    await put(KEY, page);
    await put('reports/bench/metrics.json', '{"models":[]}');
    await put(
      'reports/latest.json',
      JSON.stringify({
        runId: 'bench',
        generatedAt: new Date().toISOString(),
        metricsKey: 'reports/bench/metrics.json',
        reportKey: KEY,
      }),
    );
    const env = {
      ...process.env,
      GATEWAY_PORT: '0',
      GATEWAY_BIND: '127.0.0.1',
      PUBLIC_DIR: path.join(dir, 'no-app'),
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3Server.endpoint,
      S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      RESULT_SIGNING_SECRET: SECRET,
      UPLOAD_TOKEN_SECRET: SECRET,
      LOG_LEVEL: 'info',
    };
    const self = new URL(import.meta.url).pathname;
    const rows = [
      await measure('gateway (streamed)', ['--import', 'tsx', 'gateway/main.ts'], env, page.length, readers),
      await measure(
        'baseline: read whole',
        ['--import', 'tsx', self, '--baseline', '--endpoint', s3Server.endpoint],
        env,
        page.length,
        readers,
      ),
    ];
    const header = [
      'server',
      'page MB',
      'readers',
      'all bytes',
      'idle RSS MiB',
      'peak RSS MiB',
      'growth MiB',
    ];
    const cells = rows.map((r) => [
      r.server,
      (r.pageBytes / 1e6).toFixed(0),
      String(r.readers),
      r.complete ? 'yes' : 'NO',
      String(r.idleMiB),
      String(r.peakMiB),
      String(r.peakMiB - r.idleMiB),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
    const line = (c: string[]) =>
      c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '─'.repeat(w)).join('  '));
    for (const c of cells) console.log(line(c));
    console.log(JSON.stringify({ bench: 'report-serving', rows }));
  } finally {
    s3.destroy();
    await s3Server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Row {
  server: string;
  pageBytes: number;
  readers: number;
  complete: boolean;
  idleMiB: number;
  peakMiB: number;
}

async function measure(
  server: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  pageBytes: number,
  readers: number,
): Promise<Row> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await listeningPort(child);
    const idleMiB = await memoryMiB(child, 'VmRSS');
    const received = await Promise.all(
      Array.from({ length: readers }, (_, i) => read(port, pageBytes, i % 2 === 1)),
    );
    const peakMiB = await memoryMiB(child, 'VmHWM');
    // Headers are a few hundred bytes; every reader must get the whole page.
    const complete = received.every((n) => n >= pageBytes && n < pageBytes + 2048);
    return { server, pageBytes, readers, complete, idleMiB, peakMiB };
  } finally {
    child.kill('SIGTERM');
  }
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the server did not start in 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const text of buffered.split('\n')) {
        if (!text.includes('gateway listening')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(text) as { port: number }).port);
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
}

async function memoryMiB(child: ChildProcess, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

/** Fetches the page over a raw socket; a staller stops reading for 3 s halfway. Resolves with the bytes. */
function read(port: number, pageBytes: number, stall: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = 0;
    let stalled = false;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (stall && !stalled && received > pageBytes / 2) {
        stalled = true;
        socket.pause();
        setTimeout(() => socket.resume(), 3000);
      }
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.write('GET /api/reports/latest/report.html HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n');
  });
}
