import type { Logger } from 'pino';
import {
  type ModelVersionFiles,
  type RepositoryScan,
  scanModel,
  scanModelRepository,
} from '../platform/model-repository.ts';
import { readServingPolicy } from '../platform/serving-policy-file.ts';
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
 * metered, behind a dynamic batcher when batching is on, and each model's default version from its
 * `serving.json`. Loads, reloads and unloads one after another. A reload is a hot swap: new sessions
 * are ready before the default moves to them, and a replaced session is closed only once every
 * request already given to it has its answer.
 */
export class ModelLoader {
  private pending: Promise<unknown> = Promise.resolve();

  /**
   * `sync` brings the local repository up to date first (from S3 in AWS: s3-repository-sync.ts), for
   * one model or all; absent when the local folder is the repository.
   */
  constructor(
    private readonly config: ModelLoaderConfig,
    private readonly registry: ModelRegistry,
    private readonly metrics: GpuHostMetrics,
    private readonly log: Logger,
    private readonly sync?: (model?: string) => Promise<void>,
  ) {}

  /**
   * Loads every valid version in the repository; the ones that fail are logged and indexed UNAVAILABLE.
   * Should the sync fail, the host starts with the models it has on disk (and says so).
   */
  loadAll(): Promise<void> {
    return this.serialise(async () => {
      await this.sync?.().catch((error: unknown) =>
        this.log.error(
          { err: error },
          'could not sync the model repository from S3: serving the models on disk until the next load',
        ),
      );
      const scan = await scanModelRepository(this.config.modelRepository);
      await this.apply(scan);
      const names = new Set([...scan.found.map((f) => f.manifest.name), ...scan.skipped.map((s) => s.model)]);
      for (const name of names) await this.readPolicy(name);
    });
  }

  /**
   * Loads every version of `name` from disk and re-reads its serving.json: new or changed versions are
   * loaded (unchanged ones keep their sessions), then the default moves, then versions gone from disk
   * stop being served.
   */
  load(name: string): Promise<void> {
    return this.serialise(async () => {
      // A load that cannot see S3 fails (RepositorySyncError, 503): the caller learns the promotion has
      // not reached this host, rather than the host quietly serving what it had.
      await this.sync?.(name);
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
      await this.apply(scan);
      await this.readPolicy(name);
      const kept = new Set(scan.found.map((f) => f.manifest.version));
      const gone = this.registry
        .versions(name)
        .filter((v) => !kept.has(v))
        .map((v) => this.registry.removeVersion(name, v, 'removed from the repository'));
      await Promise.all(gone.map((c) => c?.close()));
    });
  }

  /**
   * Poll mode (Triton's `--model-control-mode=poll`): loads every model in the repository again (only
   * what changed is reloaded) and unloads the models whose folder is gone.
   */
  poll(): Promise<void> {
    return this.serialise(async () => {
      await this.sync?.();
      const scan = await scanModelRepository(this.config.modelRepository);
      const names = new Set([...scan.found.map((f) => f.manifest.name), ...scan.skipped.map((s) => s.model)]);
      await this.apply(scan);
      for (const name of names) {
        await this.readPolicy(name);
        const kept = new Set(
          scan.found.filter((f) => f.manifest.name === name).map((f) => f.manifest.version),
        );
        const gone = this.registry
          .versions(name)
          .filter((v) => !kept.has(v))
          .map((v) => this.registry.removeVersion(name, v, 'removed from the repository'));
        await Promise.all(gone.map((c) => c?.close()));
      }
      for (const name of new Set(this.registry.list().map((c) => c.manifest.name))) {
        if (names.has(name)) continue;
        const removed = this.registry.remove(name, 'removed from the repository');
        await Promise.all(removed.map((c) => c.close()));
        this.log.info({ model: name }, 'model unloaded: its folder is gone from the repository');
      }
    });
  }

  /** Re-reads `name`'s serving.json and moves its default; an invalid file is logged and ignored. */
  private async readPolicy(name: string): Promise<void> {
    const before = this.registry.defaultVersion(name);
    const read = await readServingPolicy(this.config.modelRepository, name);
    this.registry.setPolicy(name, read);
    const after = this.registry.defaultVersion(name);
    if (read.error) {
      this.log.error(
        { model: name, reason: read.error, defaultVersion: after },
        'serving.json is invalid: the newest version serves as the default until it is fixed',
      );
    } else if (read.policy && read.policy.defaultVersion !== after) {
      this.log.error(
        { model: name, policyVersion: read.policy.defaultVersion, defaultVersion: after },
        'serving.json names a version that is not ready: the newest serves as the default',
      );
    }
    if (before !== after) {
      this.log.info(
        { model: name, from: before, to: after, decisionId: read.policy?.decisionId },
        'default version changed',
      );
    }
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
      // Said once per reason: poll mode scans the same folder again every few seconds.
      if (this.registry.unavailableReason(s.model, s.version) === s.reason) continue;
      this.log.warn({ folder: s.folder, reason: s.reason }, 'skipping model folder');
      this.registry.markUnavailable(s.model, s.version, s.reason);
    }
    for (const files of scan.found) {
      const { name, version } = files.manifest;
      const current = this.registry.get(name, version);
      // Unchanged on disk (same manifest, so the same ONNX bytes by its SHA-256): keep serving it as is.
      if (current && JSON.stringify(current.manifest) === JSON.stringify(files.manifest)) continue;
      let classifier: Classifier;
      try {
        classifier = await this.loadVersion(files);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.log.error({ model: name, version, reason }, 'model failed to load');
        if (!current) this.registry.markUnavailable(name, version, reason);
        continue;
      }
      // The new session is ready before the old one leaves; the old one finishes what it was given.
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
