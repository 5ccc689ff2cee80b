import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A gpu-host running as a child process, so the load generator does not share its event loop. */
export interface ChildHost {
  readonly origin: string;
  /** `GET /metrics`, as text. */
  metrics(): Promise<string>;
  /** SIGTERM (graceful shutdown) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: connections reset, nothing finished) and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts `node --import tsx gpu-host/main.ts` with `env` on a free port; resolves once it listens.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startChildHost(
  env: Readonly<Record<string, string>>,
  nodeArgs: readonly string[] = [],
): Promise<ChildHost> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'gpu-host/main.ts'], {
    env: { ...process.env, GPU_HOST_PORT: '0', GPU_HOST_BIND: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'gpu-host listening' && typeof entry.port === 'number') resolve(entry.port);
      } catch {
        // Not a log line.
      }
    });
    void exited.then((code) =>
      reject(new Error(`gpu-host exited with ${code} before listening: ${stderr.join('')}`)),
    );
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    metrics: () => fetch(`${origin}/metrics`).then((r) => r.text()),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Sum and count of `gpu_host_batch_size` for one model version, read from the metrics text. */
export function batchSizeTotals(
  metricsText: string,
  model: string,
  version = '1',
): { sum: number; count: number } {
  const read = (suffix: string) => {
    const prefix = `gpu_host_batch_size_${suffix}{model="${model}",version="${version}"} `;
    const line = metricsText.split('\n').find((l) => l.startsWith(prefix));
    return line ? Number(line.slice(prefix.length)) : 0;
  };
  return { sum: read('sum'), count: read('count') };
}
