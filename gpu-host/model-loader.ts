import type { Logger } from 'pino';
import {
  type ModelVersionFiles,
  type RepositoryScan,
  scanModel,
  scanModelRepository,
} from '../platform/model-repository.ts';
import type { Classifier } from './classifier.ts';
import type { GpuHostConfig } from './config.ts';
import { DynamicBatcher } from './dynamic-batcher.ts';
import { InvalidRequestError } from './errors.ts';
import { MeteredClassifier } from './metered-classifier.ts';
import type { GpuHostMetrics } from './metrics.ts';
import type { ModelRegistry } from './model-registry.ts';
import { NullClassifier } from './null-classifier.ts';
import { loadOnnxClassifier } from './onnx-classifier.ts';

export type ModelLoaderConfig = Pick<
  GpuHostConfig,
  | 'modelRepository'
  | 'executionProviders'
  | 'intraOpThreads'
  | 'modelInstances'
  | 'dynamicBatching'
  | 'eagerBatching'
  | 'maxQueueSize'
  | 'nullModel'
>;

/**
 * Turns the model repository into served classifiers: one onnxruntime session per model version,
 * metered, behind a dynamic batcher when batching is on. Loads, reloads and unloads one after another.
 */
export class ModelLoader {
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: ModelLoaderConfig,
    private readonly registry: ModelRegistry,
    private readonly metrics: GpuHostMetrics,
    private readonly log: Logger,
  ) {}

  /** Loads every valid version in the repository; the ones that fail are logged and indexed UNAVAILABLE. */
  loadAll(): Promise<void> {
    return this.serialise(async () => {
      await this.apply(await scanModelRepository(this.config.modelRepository));
    });
  }

  /** Loads (or reloads) every version of `name` from disk; versions gone from disk stop being served. */
  load(name: string): Promise<void> {
    return this.serialise(async () => {
      let scan: RepositoryScan;
      try {
        scan = await scanModel(this.config.modelRepository, name);
      } catch {
        throw new InvalidRequestError(`model "${name}" is not in the model repository`);
      }
      if (scan.found.length === 0) {
        throw new InvalidRequestError(
          `model "${name}" has no loadable version: ${scan.skipped.map((s) => `${s.version}: ${s.reason}`).join('; ') || 'no version folders'}`,
        );
      }
      const kept = new Set(scan.found.map((f) => f.manifest.version));
      const gone = this.registry
        .versions(name)
        .filter((v) => !kept.has(v))
        .map((v) => this.registry.removeVersion(name, v, 'removed from the repository'));
      await this.apply(scan);
      await Promise.all(gone.map((c) => c?.close()));
    });
  }

  /** Stops serving every version of `name`; requests already queued for it still get their answers. */
  unload(name: string): Promise<void> {
    return this.serialise(async () => {
      const removed = this.registry.remove(name, 'unloaded');
      await Promise.all(removed.map((c) => c.close()));
      this.log.info({ model: name, versions: removed.map((c) => c.manifest.version) }, 'model unloaded');
    });
  }

  private async apply(scan: RepositoryScan): Promise<void> {
    for (const s of scan.skipped) {
      this.log.warn({ folder: s.folder, reason: s.reason }, 'skipping model folder');
      this.registry.markUnavailable(s.model, s.version, s.reason);
    }
    for (const files of scan.found) {
      const { name, version } = files.manifest;
      let classifier: Classifier;
      try {
        classifier = await this.loadVersion(files);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error({ model: name, version, reason }, 'model failed to load');
        this.registry.markUnavailable(name, version, reason);
        continue;
      }
      const replaced = this.registry.add(classifier);
      await replaced?.close();
      this.log.info(
        {
          model: name,
          version,
          provider: classifier.executionProvider,
          maxBatchSize: files.manifest.maxBatchSize,
          dynamicBatching: this.config.dynamicBatching
            ? {
                maxQueueDelayMicroseconds: files.manifest.dynamicBatching.maxQueueDelayMicroseconds,
                eager: this.config.eagerBatching,
              }
            : 'off',
        },
        replaced ? 'model reloaded' : 'model loaded',
      );
    }
  }

  private async loadVersion({ manifest, modelPath }: ModelVersionFiles): Promise<Classifier> {
    const { name, version } = manifest;
    const model: Classifier = this.config.nullModel
      ? new NullClassifier(manifest)
      : await loadOnnxClassifier(manifest, modelPath, {
          executionProviders: this.config.executionProviders,
          intraOpThreads: this.config.intraOpThreads,
          onProviderUnavailable: (provider, reason) =>
            this.log.warn(
              { model: name, version, provider, reason },
              `execution provider ${provider} is unavailable; trying the next one`,
            ),
        });
    const metered = new MeteredClassifier(model, this.metrics.runObserver(name, version));
    // Batching off is Triton's default scheduler: each request runs alone, in arrival order, on the
    // next free instance — the same instances as with batching on, so the two differ only in gathering.
    return new DynamicBatcher(
      metered,
      {
        maxBatchSize: manifest.maxBatchSize,
        maxQueueDelayMicroseconds: manifest.dynamicBatching.maxQueueDelayMicroseconds,
        instances: this.config.modelInstances,
        eager: this.config.eagerBatching,
        gather: this.config.dynamicBatching,
        maxQueueSize: this.config.maxQueueSize,
      },
      this.metrics.batchObserver(name, version),
    );
  }

  private serialise<T>(task: () => Promise<T>): Promise<T> {
    const next = this.pending.then(task, task);
    this.pending = next.catch(() => {});
    return next;
  }
}
