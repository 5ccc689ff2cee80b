import { type Logger, pino } from 'pino';
import { createS3Client } from '../platform/s3-client.ts';
import type { GpuHostConfig } from './config.ts';
import { InferenceService } from './inference-service.ts';
import { GpuHostMetrics } from './metrics.ts';
import { ModelLoader } from './model-loader.ts';
import { ModelRegistry } from './model-registry.ts';
import { syncRepositoryFromS3 } from './s3-repository-sync.ts';
import { createInferenceServer } from './server.ts';

/** A model download may take a while on a slow link; listing and small files answer in seconds. */
const REPOSITORY_S3_TIMEOUTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 120_000, maxAttempts: 3 };

export interface RunningGpuHost {
  readonly port: number;
  readonly url: string;
  readonly registry: ModelRegistry;
  readonly metrics: GpuHostMetrics;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Graceful shutdown: stops accepting connections, lets every request in flight finish (up to the
   * configured SHUTDOWN_TIMEOUT_MS), then releases the model sessions.
   */
  close(): Promise<void>;
}

/** Loads every model in the repository and serves them; resolves once it is listening. */
export async function startGpuHost(
  config: GpuHostConfig,
  log: Logger = pino({ level: config.logLevel }),
): Promise<RunningGpuHost> {
  const registry = new ModelRegistry();
  const metrics = new GpuHostMetrics();
  const remote = config.modelRepositoryS3;
  const s3 = remote && createS3Client(remote.connection, REPOSITORY_S3_TIMEOUTS);
  const sync =
    remote && s3
      ? async (model?: string) => {
          const report = await syncRepositoryFromS3(s3, remote.location, config.modelRepository, model);
          log.info(
            { from: `s3://${remote.location.bucket}/${remote.location.prefix}`, model, ...report },
            'model repository synced from S3',
          );
        }
      : undefined;
  const loader = new ModelLoader(config, registry, metrics, log, sync);
  if (config.nullModel) {
    log.warn('GPU_HOST_NULL_MODEL is on: every answer is a canned uniform distribution, no model runs');
  }
  await loader.loadAll();
  if (registry.size === 0) {
    s3?.destroy();
    throw new Error(
      `no loadable model in ${config.modelRepository}; expected <model>/<version>/{model.onnx,manifest.json}`,
    );
  }
  const service = new InferenceService(registry, config, metrics);
  const http = createInferenceServer({ service, loader, metrics, config, log });
  const port = await http.listen(config.port, config.bind);
  const poller = config.modelControlMode === 'poll' ? startPolling(loader, config, log) : undefined;
  log.info(
    {
      port,
      models: registry.list().map((c) => `${c.manifest.name}/${c.manifest.version}`),
      defaults: Object.fromEntries(
        [...new Set(registry.list().map((c) => c.manifest.name))].map((n) => [n, registry.defaultVersion(n)]),
      ),
      modelControlMode: config.modelControlMode,
      dynamicBatching: config.dynamicBatching,
    },
    'gpu-host listening',
  );
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${config.bind}:${port}`,
    registry,
    metrics,
    inFlight: http.inFlight,
    close() {
      closing ??= (async () => {
        log.info({ inFlight: http.inFlight() }, 'gpu-host shutting down');
        await poller?.stop();
        await http.shutdown(config.shutdownTimeoutMs);
        await registry.closeAll();
        s3?.destroy();
        log.info('gpu-host stopped');
      })();
      return closing;
    },
  };
}

/**
 * Poll mode: re-scans the repository every REPOSITORY_POLL_SECONDS (each scan after the last has
 * finished, so slow disks never pile scans up). A failed scan is logged and tried again next time.
 */
function startPolling(loader: ModelLoader, config: GpuHostConfig, log: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = loader
        .poll()
        .catch((error: unknown) =>
          log.error({ err: error, repository: config.modelRepository }, 'repository poll failed'),
        )
        .finally(next);
    }, config.repositoryPollSeconds * 1000);
    timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
