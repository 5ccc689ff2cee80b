import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitLabelsResponseSchema } from '../../contracts/labels.ts';
import { type RunningGateway, startGateway } from '../../gateway/gateway.ts';
import { createS3Client } from '../../platform/s3-client.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';
import { createUpload } from '../support/uploads.ts';

describe('the gateway against abuse', () => {
  let stack: TestStack;
  let s3: S3Client;
  let appDir: string;
  const extra: RunningGateway[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    s3 = createS3Client(stack.gatewayConfig.s3);
    appDir = await mkdtemp(path.join(tmpdir(), 'pictor-app-'));
    await mkdir(path.join(appDir, 'assets'));
    await writeFile(path.join(appDir, 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(path.join(appDir, 'assets', 'app-1.js'), 'console.log(1)');
  });
  afterAll(async () => {
    for (const gateway of extra) await gateway.close();
    s3?.destroy();
    await stack?.dispose();
    await rm(appDir, { recursive: true, force: true });
  });

  /** Another gateway over the same stack, on a free port, with some settings changed. */
  async function gatewayWith(changes: Partial<TestStack['gatewayConfig']>): Promise<RunningGateway> {
    const gateway = await startGateway({ ...stack.gatewayConfig, port: 0, ...changes }, stack.log.child({}));
    extra.push(gateway);
    return gateway;
  }
  const presign = (url: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ contentType: 'image/png', size: 100 }),
    });

  describe('presign rate limit', () => {
    it('refuses a client past its burst with 429 and Retry-After, and lets another client through', async () => {
      const gateway = await gatewayWith({
        presignRateLimit: { burst: 3, perMinute: 6, maxClients: 100 },
        trustedProxyHops: 1,
      });
      const asClient = (ip: string) => ({ 'x-forwarded-for': ip });
      for (let i = 0; i < 3; i++)
        expect((await presign(gateway.url, asClient('203.0.113.7'))).status).toBe(201);
      const refused = await presign(gateway.url, asClient('203.0.113.7'));
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      // One token comes back every 10 s at 6 per minute.
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      expect(await refused.json()).toMatchObject({
        code: 'rate_limited',
        error: expect.stringMatching(/try again in \d+ s/),
      });
      // A forged left-hand entry does not make a new client: the proxy's own entry counts.
      expect((await presign(gateway.url, asClient('198.51.100.1, 203.0.113.7'))).status).toBe(429);
      expect((await presign(gateway.url, asClient('198.51.100.2'))).status).toBe(201);
    });

    it('ignores X-Forwarded-For unless told a trusted proxy is in front', async () => {
      const gateway = await gatewayWith({
        presignRateLimit: { burst: 2, perMinute: 1, maxClients: 100 },
        trustedProxyHops: 0,
      });
      expect((await presign(gateway.url, { 'x-forwarded-for': '192.0.2.1' })).status).toBe(201);
      expect((await presign(gateway.url, { 'x-forwarded-for': '192.0.2.2' })).status).toBe(201);
      expect((await presign(gateway.url, { 'x-forwarded-for': '192.0.2.3' })).status).toBe(429);
    });
  });

  describe('labels', () => {
    async function submission(label: string, device?: { model: string; label: string }) {
      const upload = await createUpload(stack.gatewayUrl, { contentType: 'image/png', size: 100 });
      return {
        labelId: randomUUID(),
        uploadId: upload.uploadId,
        token: upload.token,
        label,
        labeledAt: new Date().toISOString(),
        ...(device ? { device: { ...device, modelVersion: '1', confidence: 0.9 } } : {}),
      };
    }
    const post = (labels: unknown[]) =>
      fetch(`${stack.gatewayUrl}/api/labels`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ labels }),
      });

    it("refuses a label that is not one of its model's labels with a 400 naming the allowed ones", async () => {
      const bad = await post([
        await submission('7', { model: 'digits', label: '7' }),
        await submission('Sneaker', { model: 'digits', label: '1' }),
      ]);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({
        code: 'unknown_label',
        error:
          'labels.1.label: "Sneaker" is not a label of model digits; allowed: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9',
      });
      const noModel = await post([await submission('made-up label 1')]);
      expect(noModel.status).toBe(400);
      expect(await noModel.json()).toMatchObject({
        code: 'unknown_label',
        error: expect.stringMatching(
          /^labels\.0\.label: "made-up label 1" is not a label of any model; allowed: digits: 0, 1, .*; fashion: T-shirt\/top, /,
        ),
      });
    });

    it('takes labels of the named model, or of any model when none is named', async () => {
      const response = await post([
        await submission('Sneaker', { model: 'fashion', label: 'Sneaker' }),
        await submission('4'),
      ]);
      expect(response.status).toBe(200);
      const { results } = submitLabelsResponseSchema.parse(await response.json());
      expect(results.map((r) => r.status)).toEqual(['stored', 'stored']);
    });
  });

  describe('the accuracy report', () => {
    const put = (Key: string, Body: string | Buffer) =>
      s3.send(new PutObjectCommand({ Bucket: stack.gatewayConfig.bucket, Key, Body }));
    const pointTo = (runId: string, fields: Record<string, string> = {}) =>
      put(
        'reports/latest.json',
        JSON.stringify({
          runId,
          generatedAt: new Date().toISOString(),
          metricsKey: `reports/${runId}/metrics.json`,
          reportKey: `reports/${runId}/report.html`,
          ...fields,
        }),
      );

    it('streams a large page whole, under a CSP that allows no script', async () => {
      // Larger than any socket buffer, so the stream must wait for the client to drain it.
      const filler = '<p>row</p>\n'.repeat(400_000);
      const page = `<!doctype html><title>r</title>${filler}<p id="end">end</p>`;
      await put('reports/big/metrics.json', '{"models":[]}');
      await put('reports/big/report.html', page);
      await pointTo('big');
      const response = await fetch(`${stack.gatewayUrl}/api/reports/latest/report.html`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(csp).toMatch(/(^|; )sandbox($|;)/);
      expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(page)));
      expect(await response.text()).toBe(page);
    });

    it('waits for a reader that stops reading, then sends the rest exactly', async () => {
      // 24 MB: more than loopback socket buffers hold, so the gateway must pause the S3 stream.
      const row = '<p>a long report row</p>\n';
      const page = `<!doctype html>${row.repeat(1_000_000)}<p id="end">end</p>`;
      await put('reports/huge/metrics.json', '{"models":[]}');
      await put('reports/huge/report.html', page);
      await pointTo('huge');
      const { port } = new URL(stack.gatewayUrl);
      const socket = connect({ host: '127.0.0.1', port: Number(port) });
      const chunks: Buffer[] = [];
      let received = 0;
      const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
      });
      socket.write('GET /api/reports/latest/report.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await firstBytes;
      socket.pause();
      // Stalled for a while, as a phone on a slow link would be.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(received).toBeLessThan(Buffer.byteLength(page));
      const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
      socket.resume();
      await ended;
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      expect(body.length).toBe(page.length);
      expect(body === page).toBe(true);
    });

    it('survives readers that stop reading halfway, and still serves the next one', async () => {
      const controllers = Array.from({ length: 4 }, () => new AbortController());
      await Promise.all(
        controllers.map(async (controller) => {
          const response = await fetch(`${stack.gatewayUrl}/api/reports/latest/report.html`, {
            signal: controller.signal,
          });
          const reader = response.body?.getReader();
          await reader?.read();
          controller.abort();
        }),
      );
      const response = await fetch(`${stack.gatewayUrl}/api/reports/latest/report.html`);
      expect((await response.text()).endsWith('<p id="end">end</p>')).toBe(true);
    });

    it('cuts the connection when S3 fails halfway, so a truncated page never passes for a whole one', async () => {
      // An S3 endpoint that breaks off the page after 300 kB of the 1 MB it announced (fault injection).
      const announced = 1_000_000;
      const faulty = createServer((request, response) => {
        if (request.url?.includes('/reports/latest.json')) {
          const pointer = JSON.stringify({
            runId: 'cut',
            generatedAt: new Date().toISOString(),
            metricsKey: 'reports/cut/metrics.json',
            reportKey: 'reports/cut/report.html',
          });
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(pointer)),
          });
          response.end(pointer);
          return;
        }
        response.writeHead(200, { 'content-type': 'text/html', 'content-length': String(announced) });
        response.write(Buffer.alloc(300_000, 'a'));
        // Long enough for the gateway to have started sending the page.
        setTimeout(() => response.socket?.destroy(), 500);
      });
      await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = faulty.address() as AddressInfo;
        const gateway = await gatewayWith({
          s3: { ...stack.gatewayConfig.s3, endpoint: `http://127.0.0.1:${port}` },
        });
        const socket = connect({ host: '127.0.0.1', port: Number(new URL(gateway.url).port) });
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.on('error', () => {});
        socket.write('GET /api/reports/latest/report.html HTTP/1.1\r\nHost: x\r\n\r\n');
        await closed;
        const text = Buffer.concat(chunks).toString('latin1');
        expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(text).toMatch(/\r\nContent-Length: 1000000\r\n/i);
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        expect(body.length).toBeLessThan(announced);
        expect((await fetch(`${gateway.url}/api/health`)).status).toBe(200);
      } finally {
        await new Promise((resolve) => faulty.close(resolve));
      }
    });

    it.each([
      ['not JSON', '{"runId":', /not JSON/],
      ['missing fields', '{"runId":"x"}', /generatedAt/],
      ['pointing at another object', 'other', /names files outside its run/],
      ['too large', 'huge', /bytes, more than a report has/],
    ])('refuses a latest.json that is %s instead of serving what it names', async (_what, kind, message) => {
      if (kind === 'other') await pointTo('big', { reportKey: 'reports/elsewhere/evil.html' });
      else if (kind === 'huge') await put('reports/latest.json', `{"pad":"${'x'.repeat(10_000)}"}`);
      else await put('reports/latest.json', kind);
      for (const route of ['/api/reports/latest', '/api/reports/latest/report.html']) {
        const response = await fetch(`${stack.gatewayUrl}${route}`);
        expect(response.status).toBe(502);
        expect(await response.json()).toMatchObject({
          code: 'invalid_report',
          error: expect.stringMatching(message),
        });
      }
    });
  });

  describe('security headers', () => {
    it('serves the app with a CSP that allows its workers, WebAssembly and presigned PUTs, and no framing', async () => {
      const gateway = await gatewayWith({ publicDir: appDir });
      const upload = await createUpload(gateway.url, { contentType: 'image/png', size: 100 });
      for (const route of ['/', '/history', '/assets/app-1.js']) {
        const response = await fetch(`${gateway.url}${route}`);
        expect(response.status).toBe(200);
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
        expect(csp).toContain("worker-src 'self'");
        expect(csp).toContain(`connect-src 'self' blob: ${new URL(upload.url).origin}`);
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      }
    });

    it('puts nosniff, no-referrer and a deny-all CSP on API answers, errors included', async () => {
      for (const [route, status] of [
        ['/api/health', 200],
        ['/api/nothing-here', 404],
        ['/api/predictions/not-an-id', 404],
      ] as const) {
        const response = await fetch(`${stack.gatewayUrl}${route}`);
        expect(response.status).toBe(status);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('content-security-policy')).toBe(
          "default-src 'none'; frame-ancestors 'none'",
        );
      }
    });
  });
});
