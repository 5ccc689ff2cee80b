import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { statusLine } from '../platform/http-exchange.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json|wasm|octet-stream)|image\/svg)/;

interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly contentType: string;
  readonly etag: string;
  readonly cacheControl: string;
}

/**
 * The built app, read into memory once at start-up (it is small and immutable between deploys),
 * each compressible file gzipped once. Hashed assets are cached for a year; everything else,
 * the service worker and index.html above all, is revalidated on every load.
 */
export class StaticFiles {
  private constructor(
    private readonly files: ReadonlyMap<string, StaticFile>,
    readonly root: string,
  ) {}

  static async load(root: string): Promise<StaticFiles> {
    const files = new Map<string, StaticFile>();
    for (const relative of await listFiles(root)) {
      const body = await readFile(path.join(root, relative));
      const contentType = CONTENT_TYPES[path.extname(relative)] ?? 'application/octet-stream';
      const gzip =
        COMPRESSIBLE.test(contentType) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
      files.set(`/${relative.split(path.sep).join('/')}`, {
        body,
        gzip: gzip && gzip.length < body.length ? gzip : undefined,
        contentType,
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
        cacheControl: relative.startsWith(`assets${path.sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      });
    }
    return new StaticFiles(files, root);
  }

  get isEmpty(): boolean {
    return this.files.size === 0;
  }

  /** The file for a URL path; app routes without a file extension get index.html. */
  resolve(urlPath: string): StaticFile | undefined {
    const direct = this.files.get(urlPath === '/' ? '/index.html' : urlPath);
    if (direct) return direct;
    return path.posix.extname(urlPath) === '' ? this.files.get('/index.html') : undefined;
  }

  /** Call synchronously from the route handler, where uWS has the response corked. */
  serve(res: HttpResponse, file: StaticFile, acceptEncoding: string, ifNoneMatch: string): void {
    const common = (status: number) => {
      res.writeStatus(statusLine(status));
      res.writeHeader('content-type', file.contentType);
      res.writeHeader('cache-control', file.cacheControl);
      res.writeHeader('etag', file.etag);
      res.writeHeader('vary', 'accept-encoding');
      res.writeHeader('x-content-type-options', 'nosniff');
    };
    if (ifNoneMatch === file.etag) {
      common(304);
      res.endWithoutBody(0);
      return;
    }
    const useGzip = file.gzip !== undefined && /\bgzip\b/.test(acceptEncoding);
    const body = useGzip ? (file.gzip as Buffer) : file.body;
    common(200);
    if (useGzip) res.writeHeader('content-encoding', 'gzip');
    sendWithBackpressure(res, body);
  }
}

/** Streams a large body as the socket drains, instead of buffering all of it in uWS at once. */
function sendWithBackpressure(res: HttpResponse, body: Buffer): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const start = res.getWriteOffset();
  const [ok, done] = res.tryEnd(body, body.length);
  if (done || ok) return;
  res.onWritable((offset) => {
    if (aborted) return true;
    const [written] = res.tryEnd(body.subarray(offset - start), body.length);
    return written;
  });
}

async function listFiles(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
