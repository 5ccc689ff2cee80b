import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** One built file and what it costs over the wire (gzip level 9, as the gateway serves it). */
export interface SizedFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** What the build weighs, by what the user waits for. */
export interface BuildSizes {
  /** index.html and what it loads before the first paint: entry JS, its preloads, CSS, the web manifest. */
  readonly shell: readonly SizedFile[];
  /** JavaScript loaded after the first paint (pipeline, sync engine, inference worker), not onnxruntime. */
  readonly lazy: readonly SizedFile[];
  /** The onnxruntime-web JavaScript and WASM, loaded by the worker on first use. */
  readonly runtime: readonly SizedFile[];
  readonly models: readonly SizedFile[];
  readonly serviceWorker: readonly SizedFile[];
}

/** Sums `gzipBytes`. */
export function totalGzip(files: readonly SizedFile[]): number {
  return files.reduce((sum, f) => sum + f.gzipBytes, 0);
}

/**
 * Measures a built app: the shell is what index.html references (scripts, module preloads,
 * stylesheets, manifest); everything else is sorted by kind.
 */
export async function measureBuild(distDir: string): Promise<BuildSizes> {
  const html = await readFile(path.join(distDir, 'index.html'), 'utf8');
  const referenced = new Set<string>(['index.html']);
  for (const match of html.matchAll(/\b(?:src|href)="\/([^"?#]+\.(?:js|css|webmanifest))"/g)) {
    if (match[1]) referenced.add(match[1]);
  }
  const all = await listFiles(distDir);
  const sized = async (file: string): Promise<SizedFile> => {
    const body = await readFile(path.join(distDir, file));
    return {
      file,
      bytes: (await stat(path.join(distDir, file))).size,
      gzipBytes: gzipSync(body, { level: 9 }).length,
    };
  };
  const shell: SizedFile[] = [];
  const lazy: SizedFile[] = [];
  const runtime: SizedFile[] = [];
  const models: SizedFile[] = [];
  const serviceWorker: SizedFile[] = [];
  for (const file of all) {
    if (referenced.has(file)) shell.push(await sized(file));
    else if (/^sw\.js$|^workbox-/.test(file)) serviceWorker.push(await sized(file));
    else if (file.startsWith('models/') || file === 'models.json') models.push(await sized(file));
    else if (/\.wasm$/.test(file) || /(^|\/)ort[.-]/.test(file)) runtime.push(await sized(file));
    else if (/\.(js|css)$/.test(file)) lazy.push(await sized(file));
  }
  return { shell, lazy, runtime, models, serviceWorker };
}

/** Bytes as "12.3 KB" (1 KB = 1,000 bytes, as Vite reports). */
export function formatKB(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => !f.endsWith('.map'))
    .sort();
}
