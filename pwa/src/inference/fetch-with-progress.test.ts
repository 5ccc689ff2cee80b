import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadTally, fetchWithProgress } from './fetch-with-progress.ts';

const BODY = Buffer.alloc(300_000, 7);

describe('fetchWithProgress', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // A real server: plain, and gzipped (where Content-Length is the compressed size).
    server = http.createServer((req, res) => {
      if (req.url === '/gzip') {
        const gz = gzipSync(BODY);
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': gz.length });
        res.end(gz);
      } else if (req.url === '/missing') {
        res.writeHead(404).end();
      } else {
        res.writeHead(200, { 'content-length': BODY.length });
        res.end(BODY);
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('reports bytes as they arrive, against Content-Length when the body is not compressed', async () => {
    const seen: Array<[number, number]> = [];
    const bytes = await fetchWithProgress(`${base}/plain`, 0, (loaded, total) => seen.push([loaded, total]));
    expect(bytes).toEqual(new Uint8Array(BODY));
    expect(seen[0]).toEqual([0, BODY.length]);
    expect(seen.at(-1)).toEqual([BODY.length, BODY.length]);
    expect(seen.map(([loaded]) => loaded)).toEqual([...seen.map(([loaded]) => loaded)].sort((a, b) => a - b));
  });

  it('uses the size known at build time when the server gzips (Content-Length is then the compressed size)', async () => {
    const totals = new Set<number>();
    const bytes = await fetchWithProgress(`${base}/gzip`, BODY.length, (_loaded, total) => totals.add(total));
    expect(bytes.length).toBe(BODY.length);
    expect([...totals]).toEqual([BODY.length]);
  });

  it('says which URL failed and how', async () => {
    await expect(fetchWithProgress(`${base}/missing`, 0, () => {})).rejects.toThrow(/\/missing: HTTP 404/);
  });
});

describe('DownloadTally', () => {
  it('sums several downloads into one figure, a retried download replacing its own', () => {
    const tally = new DownloadTally();
    const heard: Array<[number, number]> = [];
    tally.listen((loaded, total) => heard.push([loaded, total]));
    const wasm = tally.part('/a.wasm');
    const model = tally.part('/m.onnx');
    wasm(100, 1_000);
    model(50, 500);
    wasm(0, 1_000); // retried from the start
    expect(heard).toEqual([
      [100, 1_000],
      [150, 1_500],
      [50, 1_500],
    ]);
  });
});
