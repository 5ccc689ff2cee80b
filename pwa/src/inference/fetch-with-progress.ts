/**
 * Downloads with a byte count, for the first visit's progress bar (onnxruntime's WASM and the models
 * are megabytes; on a slow phone connection that is minutes).
 */

/** Bytes so far and the expected total (0 when unknown). */
export type ProgressListener = (loaded: number, total: number) => void;

/** Generous: 5.4 MB at 100 kbit/s is ~7 minutes; a stalled download still ends. */
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000;

/**
 * Fetches `url` whole, calling `onProgress` as bytes arrive. `expectedBytes` (the decoded size, known
 * at build time) is the total when > 0: Content-Length is the compressed size when the server gzips.
 */
export async function fetchWithProgress(
  url: string,
  expectedBytes: number,
  onProgress: ProgressListener,
): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  const header = Number(response.headers.get('content-length'));
  const total =
    expectedBytes > 0 ? expectedBytes : !response.headers.has('content-encoding') && header > 0 ? header : 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress(bytes.length, total || bytes.length);
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, Math.max(total, loaded));
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  onProgress(loaded, loaded);
  return bytes;
}

/** Sums several downloads into one figure for everyone listening. */
export class DownloadTally {
  private readonly parts = new Map<string, { loaded: number; total: number }>();
  private readonly listeners = new Set<ProgressListener>();

  /** The progress callback of one download, keyed by URL (a retried download replaces its figures). */
  part(key: string): ProgressListener {
    return (loaded, total) => {
      this.parts.set(key, { loaded, total });
      let sumLoaded = 0;
      let sumTotal = 0;
      for (const p of this.parts.values()) {
        sumLoaded += p.loaded;
        sumTotal += p.total;
      }
      for (const listener of this.listeners) listener(sumLoaded, sumTotal);
    };
  }

  listen(listener: ProgressListener): void {
    this.listeners.add(listener);
  }
}
