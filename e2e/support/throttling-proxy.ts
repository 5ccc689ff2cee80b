/**
 * A slow phone network for Chromium: an HTTP forward proxy (plain requests and CONNECT tunnels, so
 * WebSockets too) that shares one downlink and one uplink of a given rate among all connections and
 * adds a round-trip delay to each request. DevTools' network throttling does not reach the service
 * worker's or a Web Worker's fetches; a proxy does. Start Chromium with
 * `--proxy-server=<url> --proxy-bypass-list=<-loopback>` (Chromium bypasses proxies for loopback
 * unless told not to). Counts the bytes that went down, for first-visit figures.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ThrottleOptions {
  /** Downlink, bits per second (e.g. 400_000 for 400 kbit/s). */
  readonly downBitsPerSecond: number;
  /** Uplink, bits per second. */
  readonly upBitsPerSecond: number;
  /** Added once per request (and per tunnel), milliseconds. */
  readonly roundTripMs: number;
}

export interface ThrottlingProxy {
  /** `http://127.0.0.1:<port>`, for `--proxy-server`. */
  readonly url: string;
  /** Response bytes delivered to the browser so far (bodies as sent, headers excluded; tunnels included). */
  bytesDown(): number;
  /** Changes the link's speed from now on (e.g. unthrottled for a set-up step). */
  setThrottle(options: ThrottleOptions | null): void;
  close(): Promise<void>;
}

/** Largest piece sent at once: keeps the shared link fair between connections. */
const PIECE_BYTES = 8 * 1024;

/** One direction of the link: pieces are sent one after another at `rate` bytes per second. */
class Link {
  private freeAt = 0;
  constructor(public bytesPerSecond: number) {}

  /** Waits until `bytes` have "crossed" the link after everything queued before them. */
  async cross(bytes: number): Promise<void> {
    if (!Number.isFinite(this.bytesPerSecond)) return;
    const now = performance.now();
    this.freeAt = Math.max(now, this.freeAt) + (bytes / this.bytesPerSecond) * 1000;
    const wait = this.freeAt - now;
    if (wait > 1) await sleep(wait);
  }
}

function throttled(link: Link, count?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      void (async () => {
        for (let offset = 0; offset < chunk.length; offset += PIECE_BYTES) {
          const piece = chunk.subarray(offset, offset + PIECE_BYTES);
          await link.cross(piece.length);
          count?.(piece.length);
          this.push(piece);
        }
        callback();
      })().catch(callback);
    },
  });
}

/** Starts the proxy on a free loopback port. */
export async function startThrottlingProxy(options: ThrottleOptions | null): Promise<ThrottlingProxy> {
  const down = new Link(Number.POSITIVE_INFINITY);
  const up = new Link(Number.POSITIVE_INFINITY);
  let roundTripMs = 0;
  let bytesDown = 0;
  const countDown = (n: number) => {
    bytesDown += n;
  };
  const setThrottle = (o: ThrottleOptions | null) => {
    down.bytesPerSecond = o ? o.downBitsPerSecond / 8 : Number.POSITIVE_INFINITY;
    up.bytesPerSecond = o ? o.upBitsPerSecond / 8 : Number.POSITIVE_INFINITY;
    roundTripMs = o?.roundTripMs ?? 0;
  };
  setThrottle(options);
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    void (async () => {
      const target = new URL(req.url ?? '/');
      if (roundTripMs > 0) await sleep(roundTripMs);
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
          answer.pipe(throttled(down, countDown)).pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(throttled(up)).pipe(upstream);
    })();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // CONNECT: WebSockets (and anything else tunnelled) cross the same slow link.
  server.on('connect', (req, client, head) => {
    void (async () => {
      const [host, port] = (req.url ?? '').split(':');
      if (roundTripMs > 0) await sleep(roundTripMs);
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(throttled(down, countDown)).pipe(client);
        client.pipe(throttled(up)).pipe(upstream);
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bytesDown: () => bytesDown,
    setThrottle,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
