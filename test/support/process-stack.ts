import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TcpProxy } from './tcp-proxy.ts';

/** The three processes of the local system, as `npm run start:<part>` starts them. */
export type Part = 's3' | 'gpu-host' | 'gateway';

const ENTRY: Record<Part, string> = {
  s3: 'stack/s3-main.ts',
  'gpu-host': 'gpu-host/main.ts',
  gateway: 'stack/gateway-main.ts',
};

/** Settings a fault test turns down so that retries, re-drives and sweeps happen in seconds. */
export interface ProcessStackOptions {
  readonly redriveIntervalMs?: number;
  readonly sweepAgeSeconds?: number;
  readonly giveUpAfterSeconds?: number;
  readonly lambdaRetryDelaysMs?: string;
  readonly inferenceTimeoutMs?: number;
  /** The gateway and the handler reach S3 directly, not through the fault proxies (benchmarks). */
  readonly direct?: boolean;
  /** Node options per part, before the entry file (`--cpu-prof`, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: Partial<Record<Part, readonly string[]>>;
  /** Extra environment per part (a wrong secret for the gateway, say). */
  readonly env?: Partial<Record<Part, Record<string, string>>>;
}

/**
 * The system as separate real processes on free loopback ports, sharing one throw-away data folder,
 * as `npm run start:s3`, `start:gpu-host` and `start:gateway` run them. The gateway (with the URLs it
 * presigns) and the handler each reach S3 through their own TCP proxy, so a test can make S3
 * unreachable for either without stopping it. Each part can
 * be stopped (SIGTERM), killed (SIGKILL), frozen (SIGSTOP: accepts connections, never answers) and
 * started again on the same port. Logs go to `<dataDir>/<part>.log`.
 */
export class ProcessStack {
  private readonly children = new Map<Part, ChildProcess>();

  private constructor(
    readonly dataDir: string,
    readonly ports: Record<Part, number>,
    readonly s3Proxy: TcpProxy,
    readonly lambdaS3Proxy: TcpProxy,
    private readonly options: ProcessStackOptions,
  ) {}

  static async start(options: ProcessStackOptions = {}): Promise<ProcessStack> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pictor-procs-'));
    const [s3, gpuHost, gateway] = [await freePort(), await freePort(), await freePort()];
    const [proxy, lambdaProxy] = [await TcpProxy.start(s3), await TcpProxy.start(s3)];
    const ports = { s3, 'gpu-host': gpuHost, gateway };
    const stack = new ProcessStack(dataDir, ports, proxy, lambdaProxy, options);
    await Promise.all([stack.startPart('gpu-host'), stack.startPart('s3'), stack.startPart('gateway')]);
    return stack;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }

  /** Starts a part (again) and resolves once it answers its health check. */
  async startPart(part: Part, extraEnv: Record<string, string> = {}): Promise<void> {
    const log = createWriteStream(path.join(this.dataDir, `${part}.log`), { flags: 'a' });
    const child = spawn(
      process.execPath,
      [...(this.options.nodeArgs?.[part] ?? []), '--import', 'tsx', ENTRY[part]],
      {
        env: { ...process.env, ...this.envFor(part), ...this.options.env?.[part], ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Both into one file: neither may end it while the other still writes.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
    this.children.set(part, child);
    // A runner that exits without dispose() must not leave the parts running.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    await this.waitHealthy(part, child);
  }

  /** Stops a part with a signal and waits for it to exit (SIGTERM: graceful; SIGKILL: at once). */
  async stopPart(part: Part, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.children.get(part);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGCONT');
    child.kill(signal);
    await exited;
    this.children.delete(part);
  }

  /** SIGSTOP: the process keeps its port (connections are accepted by the kernel) but answers nothing. */
  freeze(part: Part): void {
    this.children.get(part)?.kill('SIGSTOP');
  }

  thaw(part: Part): void {
    this.children.get(part)?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    await Promise.all((['gateway', 's3', 'gpu-host'] as const).map((p) => this.stopPart(p, 'SIGKILL')));
    await this.s3Proxy.close();
    await this.lambdaS3Proxy.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private envFor(part: Part): Record<string, string> {
    const o = this.options;
    const common = { DATA_DIR: this.dataDir, LOG_LEVEL: 'info' };
    const inferenceUrl = `http://127.0.0.1:${this.ports['gpu-host']}`;
    const s3Direct = `http://127.0.0.1:${this.ports.s3}`;
    switch (part) {
      case 'gpu-host':
        return { ...common, GPU_HOST_PORT: String(this.ports['gpu-host']), MODEL_REPOSITORY: 'models' };
      case 'gateway':
        return {
          ...common,
          GATEWAY_PORT: String(this.ports.gateway),
          GATEWAY_BIND: '127.0.0.1',
          PUBLIC_DIR: path.join(this.dataDir, 'no-app'),
          S3_ENDPOINT: o.direct ? s3Direct : this.s3Proxy.url,
          INFERENCE_URL: inferenceUrl,
        };
      case 's3':
        return {
          ...common,
          S3_PORT: String(this.ports.s3),
          LAMBDA_S3_ENDPOINT: o.direct ? s3Direct : this.lambdaS3Proxy.url,
          INFERENCE_URL: inferenceUrl,
          GATEWAY_URL: this.gatewayUrl,
          INFERENCE_TIMEOUT_MS: String(o.inferenceTimeoutMs ?? 2_000),
          INFERENCE_ATTEMPTS: '2',
          GATEWAY_TIMEOUT_MS: '2000',
          LAMBDA_RETRY_DELAYS_MS: o.lambdaRetryDelaysMs ?? '100,200',
          LAMBDA_TIMEOUT_MS: '10000',
          REDRIVE_INTERVAL_MS: String(o.redriveIntervalMs ?? 300),
          SWEEP_AGE_SECONDS: String(o.sweepAgeSeconds ?? 3),
          GIVE_UP_AFTER_SECONDS: String(o.giveUpAfterSeconds ?? 120),
        };
    }
  }

  private async waitHealthy(part: Part, child: ChildProcess): Promise<void> {
    const url =
      part === 'gateway'
        ? `${this.gatewayUrl}/api/health`
        : part === 'gpu-host'
          ? `http://127.0.0.1:${this.ports['gpu-host']}/v2/health/ready`
          : `http://127.0.0.1:${this.ports.s3}/`;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(
          `${part} exited with ${child.exitCode}; see ${path.join(this.dataDir, `${part}.log`)}`,
        );
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        // The local S3 answers an unsigned request with 403: it is up.
        if (response.ok || part === 's3') return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${part} did not become healthy within 60 s`);
  }
}

/** A port that was free a moment ago (a part keeps it across restarts). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
