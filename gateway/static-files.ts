import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
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
  /** Kept from the build before the current one (see `reload`). */
  readonly previous?: boolean;
}

/** Files of the previous build still served after a rebuild: hashed assets and versioned models. */
const KEPT_ACROSS_BUILDS = /^\/(assets|models)\//;

/**
 * The built app, held in memory (it is small), each compressible file gzipped once. Hashed assets are
 * cached for a year; everything else, the service worker and index.html above all, is revalidated on
 * every load. `watch` notices a rebuild in place (a promotion rebuilds the app to ship its model) and
 * swaps the new build in without a restart, keeping the previous build's assets and models one build
 * longer, so that a page still running the old build can load its lazy chunks and its model.
 */
export class StaticFiles {
  private files: ReadonlyMap<string, StaticFile>;
  private signature = '';

  private constructor(
    files: ReadonlyMap<string, StaticFile>,
    readonly root: string,
    private readonly headers: Readonly<Record<string, string>>,
  ) {
    this.files = files;
  }

  /** `headers` go on every file (the app's security headers). */
  static async load(root: string, headers: Readonly<Record<string, string>> = {}): Promise<StaticFiles> {
    const files = new StaticFiles(await readBuild(root), root, headers);
    files.signature = await buildSignature(root);
    return files;
  }

  /**
   * Checks every `intervalMs` whether the build changed on disk (index.html and sw.js, the files
   * every build rewrites), and reloads once the change has settled (the same on two checks in a row,
   * so a build still being written is not taken half-done). Returns the function that stops it.
   */
  watch(
    intervalMs: number,
    onReload: (files: number) => void,
    onError: (error: unknown) => void,
  ): () => void {
    let seen = this.signature;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      (async () => {
        const now = await buildSignature(this.root);
        if (now === this.signature || now === '') {
          seen = now;
          return;
        }
        if (now !== seen) {
          seen = now; // Changing: look again next time.
          return;
        }
        await this.reload();
        this.signature = now;
        onReload(this.files.size);
      })()
        .catch(onError)
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Reads the build again; the previous build's assets and models stay served, one build longer. */
  async reload(): Promise<void> {
    const next = new Map(await readBuild(this.root));
    for (const [url, file] of this.files) {
      if (!next.has(url) && !file.previous && KEPT_ACROSS_BUILDS.test(url))
        next.set(url, { ...file, previous: true });
    }
    this.files = next;
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
      for (const [name, value] of Object.entries(this.headers)) {
        if (name !== 'x-content-type-options') res.writeHeader(name, value);
      }
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

async function readBuild(root: string): Promise<Map<string, StaticFile>> {
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
  return files;
}

/** Size and modification time of index.html and sw.js; '' when index.html is missing (no build, or one being written). */
async function buildSignature(root: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ['index.html', 'sw.js']) {
    try {
      const info = await stat(path.join(root, name));
      parts.push(`${name}:${info.size}:${info.mtimeMs}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (name === 'index.html') return '';
    }
  }
  return parts.join('|');
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
