import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawHttpClient as RawClient } from '../../test/support/raw-http-client.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import { repositoryWithQueueDelay, startTestHost, type temporaryRepository } from './support.ts';

/**
 * The HTTP edge over uWebSockets.js where it differs from node:http by nature: bodies refused before
 * or while they are read, clients that go away mid-request, HEAD, keep-alive across a shutdown, and
 * a port already taken. (uWS kills the process on a handler that neither answers nor watches for
 * the client going away, so each of these is a request the host must survive.)
 */

const post = (path: string, headers: Record<string, string | number>, body = '') =>
  `POST ${path} HTTP/1.1\r\nhost: x\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n${body}`;
const infer = '/v2/models/digits/infer';

describe('the HTTP edge', () => {
  let host: RunningGpuHost;
  beforeAll(async () => {
    host = await startTestHost({ MAX_REQUEST_BYTES: '10000' });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('refuses a body declared too large with 413 before it is sent, and keeps the connection usable', async () => {
    const client = new RawClient(host.port);
    client.write(post(infer, { 'content-length': 20_000, 'x-request-id': 'big-1' }));
    await client.until((c) => c.answers === 1 && c.received.endsWith('}'));
    expect(client.received).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(client.received).toMatch(/\r\nx-request-id: big-1\r\n/);
    expect(client.received).toContain(
      '{"error":"the body is 20000 bytes; the limit is 10000","code":"request_too_large"}',
    );
    // The declared body still arrives; the host drops it and reads the next request after it.
    client.write('x'.repeat(20_000));
    client.write(`GET /v2/health/live HTTP/1.1\r\nhost: x\r\n\r\n`);
    await client.until((c) => c.answers === 2);
    expect(client.received.split(/(?=HTTP\/1\.1 )/)[1]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    client.destroy();
  });

  it('refuses a chunked body that grows past the limit with 413 while reading it', async () => {
    const client = new RawClient(host.port);
    client.write(post(infer, { 'transfer-encoding': 'chunked' }));
    for (let i = 0; i < 3; i++) client.write(`1000\r\n${'y'.repeat(4096)}\r\n`);
    client.write('0\r\n\r\n');
    await client.until((c) => c.answers === 1 && c.received.endsWith('}'));
    expect(client.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(client.received).toContain('"the body is over the limit of 10000 bytes"');
    client.destroy();
  });

  it('refuses a duplicate Content-Length with 400 and closes the connection', async () => {
    for (const lengths of [
      [2, 2],
      [2, 12],
    ]) {
      const client = new RawClient(host.port);
      client.write(
        `POST ${infer} HTTP/1.1\r\nhost: x\r\ncontent-length: ${lengths[0]}\r\ncontent-length: ${lengths[1]}\r\n\r\n{}`,
      );
      await client.until((c) => c.closed);
      expect(client.received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(client.received).toContain('"code":"bad_framing"');
      expect(client.answers).toBe(1);
    }
  });

  it('answers a method the path does not take with 405 and Allow, on a connection that stays usable', async () => {
    const client = new RawClient(host.port);
    client.write('DELETE /v2/models/digits HTTP/1.1\r\nhost: x\r\n\r\n');
    client.write('OPTIONS /v2/health/ready HTTP/1.1\r\nhost: x\r\n\r\n');
    client.write('GET /v2/health/live HTTP/1.1\r\nhost: x\r\n\r\n');
    await client.until((c) => c.answers === 3 && c.received.endsWith('{"live":true}'));
    const [del, options, live] = client.received.split(/(?=HTTP\/1\.1 )/);
    expect(del).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(del).toMatch(/\r\nallow: GET, HEAD\r\n/);
    expect(options).toMatch(/^HTTP\/1\.1 405 /);
    expect(live).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    client.destroy();
  });

  // Known limit of uWS 20.30 (gpu-host/README.md, "HTTP server"): its parser takes a request line that
  // does not end in " HTTP/1.1", or a request without Host, for an incomplete request and never answers
  // (uWS closes the connection after ~10 s). No uWS option or JavaScript hook reaches these requests;
  // uWS 20.57 answers 505 and 400. These mark the gap and will fail (as "passed unexpectedly") once
  // a uWS that answers is in: then drop `.fails`.
  it.fails('known gap of uWS 20.30: answers an HTTP/1.0 request (nginx proxy default) with a status', async () => {
    const client = new RawClient(host.port);
    client.write('GET /v2/health/live HTTP/1.0\r\n\r\n');
    try {
      await client.until((c) => /^HTTP\/1\.[01] \d{3} /.test(c.received), 2_000);
    } finally {
      client.destroy();
    }
  });

  it.fails('known gap of uWS 20.30: answers an HTTP/1.1 request without Host with a status', async () => {
    const client = new RawClient(host.port);
    client.write('GET /v2/health/live HTTP/1.1\r\n\r\n');
    try {
      await client.until((c) => /^HTTP\/1\.1 \d{3} /.test(c.received), 2_000);
    } finally {
      client.destroy();
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const client = new RawClient(host.port);
    client.write('HEAD /v2/models/digits/infer HTTP/1.1\r\nhost: x\r\n\r\n');
    client.write('GET /v2/health/ready HTTP/1.1\r\nhost: x\r\n\r\n');
    await client.until((c) => c.answers === 2);
    const [head, next] = client.received.split(/(?=HTTP\/1\.1 )/);
    expect(head).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(head).toMatch(/\r\nallow: POST\r\n/);
    expect(head).toMatch(/\r\n\r\n$/);
    expect(next).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    client.destroy();
  });
});

describe('clients that go away', () => {
  let repository: Awaited<ReturnType<typeof temporaryRepository>>;
  beforeAll(async () => {
    // An hour's queue delay: a request left announced to the batcher would hold every lone request that
    // long, so a lone request answered at all shows none was left (no wall-clock bound needed).
    repository = await repositoryWithQueueDelay(3_600_000_000);
  });
  afterAll(async () => {
    await repository?.remove();
  });

  it('survives clients that go away mid-body, and releases their place in the batcher', async () => {
    const host = await startTestHost({ MODEL_REPOSITORY: repository.path });
    try {
      for (let i = 0; i < 5; i++) {
        const client = new RawClient(host.port);
        client.write(post(infer, { 'content-length': 5000 }, '{"inputs": ['));
        await new Promise((r) => setTimeout(r, 10));
        client.destroy();
      }
      const deadline = Date.now() + 5_000;
      while (host.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(host.inFlight()).toBe(0);
      const response = await fetch(`${host.url}${infer}`, {
        method: 'POST',
        // Far below the queue delay, far above any answer on a loaded machine.
        signal: AbortSignal.timeout(20_000),
        body: JSON.stringify({
          inputs: [{ name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', data: new Array(784).fill(0) }],
        }),
      });
      // Eager dispatch: nothing else is announced, so the lone request does not wait out the delay.
      expect(response.status).toBe(200);
    } finally {
      await host.close();
    }
  });
});

describe('listening and shutting down', () => {
  it('refuses to start on a port another host holds', async () => {
    const first = await startTestHost();
    try {
      await expect(startTestHost({ GPU_HOST_PORT: String(first.port) })).rejects.toThrow(
        /could not listen on 127\.0\.0\.1:\d+; is the port taken\?/,
      );
    } finally {
      await first.close();
    }
  });

  it('closes idle keep-alive connections when it shuts down', async () => {
    const host = await startTestHost();
    const client = new RawClient(host.port);
    client.write('GET /v2/health/live HTTP/1.1\r\nhost: x\r\n\r\n');
    await client.until((c) => c.answers === 1);
    expect(client.closed).toBe(false);
    await host.close();
    await client.until((c) => c.closed);
  });

  it('cuts requests still in flight after SHUTDOWN_TIMEOUT_MS', async () => {
    const host = await startTestHost({ SHUTDOWN_TIMEOUT_MS: '100' });
    const client = new RawClient(host.port);
    client.write(post(infer, { 'content-length': 5000 }, '{"inputs": ['));
    const deadline = Date.now() + 5_000;
    while (host.inFlight() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await host.close();
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(host.inFlight()).toBe(0);
    await client.until((c) => c.closed);
    expect(client.answers).toBe(0);
  });
});
