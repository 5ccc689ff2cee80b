import { type Logger, pino } from 'pino';
import type { GpuHostConfig } from './config.ts';
import { InferenceService } from './inference-service.ts';
import { ModelRegistry } from './model-registry.ts';
import { scanModelRepository } from './model-repository.ts';
import { loadOnnxClassifier } from './onnx-classifier.ts';
import { createInferenceServer, listen } from './server.ts';

export interface RunningGpuHost {
  readonly port: number;
  readonly url: string;
  readonly registry: ModelRegistry;
  /** Stops accepting, lets requests in flight finish, releases the sessions. */
  close(): Promise<void>;
}

/** Loads every model in the repository and serves them; resolves once it is listening. */
export async function startGpuHost(
  config: GpuHostConfig,
  log: Logger = pino({ level: config.logLevel }),
): Promise<RunningGpuHost> {
  const registry = new ModelRegistry();
  const found = await scanModelRepository(config.modelRepository, (folder, reason) =>
    log.warn({ folder, reason }, 'skipping model folder'),
  );
  for (const { manifest, modelPath } of found) {
    const classifier = await loadOnnxClassifier(manifest, modelPath, {
      executionProviders: config.executionProviders,
      intraOpThreads: config.intraOpThreads,
      onProviderUnavailable: (provider, reason) =>
        log.warn(
          { model: manifest.name, version: manifest.version, provider, reason },
          'execution provider unavailable; trying the next',
        ),
    });
    registry.add(classifier);
    log.info(
      { model: manifest.name, version: manifest.version, provider: classifier.executionProvider },
      'model loaded',
    );
  }
  if (registry.size === 0) {
    throw new Error(
      `no loadable model in ${config.modelRepository}; expected <model>/<version>/{model.onnx,manifest.json}`,
    );
  }
  const service = new InferenceService(registry, config);
  const server = createInferenceServer(service, config, log);
  const port = await listen(server, config.port, config.bind);
  log.info(
    { port, models: registry.list().map((c) => `${c.manifest.name}/${c.manifest.version}`) },
    'gpu-host listening',
  );
  return {
    port,
    url: `http://${config.bind}:${port}`,
    registry,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await registry.closeAll();
    },
  };
}
