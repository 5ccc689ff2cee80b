import type { ModelManifest } from '../contracts/model-manifest.ts';
import type { Classifier } from './classifier.ts';

/** Told the rows and duration of every model run. */
export type RunObserver = (rows: number, seconds: number) => void;

/**
 * Wraps the model itself (under any batcher) so every run's batch size and duration are recorded.
 * Runs go one at a time: onnxruntime-node runs a session synchronously on the event loop anyway, and
 * queueing them here lets each be timed from its own start rather than from behind the others.
 */
export class MeteredClassifier implements Classifier {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: Classifier,
    private readonly observe: RunObserver,
  ) {}

  get manifest(): ModelManifest {
    return this.inner.manifest;
  }

  get executionProvider(): string {
    return this.inner.executionProvider;
  }

  run(input: Float32Array, batchSize: number): Promise<Float32Array> {
    const result = this.last.then(async () => {
      const started = performance.now();
      const output = await this.inner.run(input, batchSize);
      this.observe(batchSize, (performance.now() - started) / 1000);
      return output;
    });
    this.last = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    await this.last;
    await this.inner.close();
  }
}
