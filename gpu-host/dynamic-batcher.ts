import type { ModelManifest } from '../contracts/model-manifest.ts';
import type { Classifier } from './classifier.ts';
import { QueueFullError } from './errors.ts';

/** How a model's requests are gathered (the manifest's `maxBatchSize` and `dynamicBatching`). */
export interface BatchingPolicy {
  /** Most rows in one model run. */
  readonly maxBatchSize: number;
  /** Longest a request waits for others to join its batch (Triton's max_queue_delay_microseconds). */
  readonly maxQueueDelayMicroseconds: number;
  /** Model runs allowed at once (Triton's instance count); requests queue while all are busy. */
  readonly instances: number;
  /**
   * Send a batch as soon as an instance is free and no announced request is still arriving, instead
   * of waiting out the queue delay (see the class comment). Off: Triton's behaviour.
   */
  readonly eager?: boolean;
  /**
   * Gather several requests into one run (dynamic batching). Off, each request runs on its own, in
   * arrival order, on the next free instance: Triton's default scheduler.
   */
  readonly gather?: boolean;
  /**
   * Most requests waiting for a run (Triton's max_queue_size); one more is refused at once with a
   * QueueFullError. 0: no bound.
   */
  readonly maxQueueSize?: number;
}

/** What the batcher tells the metrics about each run. */
export interface BatchObserver {
  /** A batch of `rows` rows from `requests` requests is about to run. */
  onBatch?(rows: number, requests: number): void;
  /** A request waited `waitSeconds` in the queue before its batch ran. */
  onQueued?(waitSeconds: number): void;
}

interface Pending {
  readonly input: Float32Array;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly resolve: (output: Float32Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers concurrent requests for one model into one run, like Triton's dynamic batcher: a batch goes
 * when it is full, when its oldest request has waited the queue delay, or — while every instance is
 * busy — as soon as one frees up, taking everything that queued meanwhile. With `eager`, a batch also
 * goes at the end of the current turn of the event loop when an instance is free and no request
 * announced to it (see `announce`) is still being read or decoded: a lone request is not held back,
 * and under load the requests that arrive during a run form the next batch. Each caller gets exactly
 * its own rows back. It is itself a Classifier, so callers cannot tell it is there.
 */
export class DynamicBatcher implements Classifier {
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private announced = 0;
  private closing = false;
  private onIdle: (() => void) | undefined;
  private readonly rowLength: number;
  private readonly classes: number;

  constructor(
    private readonly inner: Classifier,
    private readonly policy: BatchingPolicy,
    private readonly observer: BatchObserver = {},
  ) {
    if (policy.maxBatchSize < 1 || policy.instances < 1)
      throw new Error('maxBatchSize and instances must be ≥ 1');
    this.rowLength = inner.manifest.input.dims.reduce((a, b) => a * b, 1);
    this.classes = inner.manifest.labels.length;
  }

  get manifest(): ModelManifest {
    return this.inner.manifest;
  }

  get executionProvider(): string {
    return this.inner.executionProvider;
  }

  run(input: Float32Array, batchSize: number): Promise<Float32Array> {
    if (batchSize > this.policy.maxBatchSize) {
      return Promise.reject(
        new Error(`batch of ${batchSize} exceeds max batch size ${this.policy.maxBatchSize}`),
      );
    }
    // While closing, only requests announced before the close are still taken (their body was being
    // read when a reload swapped the model): a hot swap fails no request already on its way.
    if (this.closing && this.announced === 0) return Promise.reject(new Error('the batcher is closed'));
    const bound = this.policy.maxQueueSize ?? 0;
    if (bound > 0 && this.queue.length >= bound) {
      return Promise.reject(new QueueFullError(this.inner.manifest.name, bound));
    }
    if (input.length !== batchSize * this.rowLength) {
      return Promise.reject(
        new Error(`expected ${batchSize * this.rowLength} input values, got ${input.length}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, rows: batchSize, enqueuedAt: performance.now(), resolve, reject });
      this.queuedRows += batchSize;
      this.schedule();
    });
  }

  /** A request is on its way: wait for it (up to the queue delay) until the returned function is called. */
  announce(): () => void {
    this.announced++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.announced--;
      this.schedule();
    };
  }

  /**
   * Refuses new requests, runs every queued one at once, waits for the announced ones still on their
   * way (and runs them), then closes the model under it.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.queue.length > 0 || this.running > 0 || this.announced > 0) {
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
        this.schedule();
      });
    }
    await this.inner.close();
  }

  private schedule(): void {
    if (this.queue.length === 0 && this.running === 0) {
      if (this.announced === 0) this.onIdle?.();
      return;
    }
    if (this.queue.length === 0 || this.running >= this.policy.instances) return;
    const oldest = this.queue[0] as Pending;
    const waitedUs = (performance.now() - oldest.enqueuedAt) * 1000;
    const full = this.queuedRows >= this.policy.maxBatchSize;
    const gather = this.policy.gather ?? true;
    if (!gather || full || this.closing || waitedUs >= this.policy.maxQueueDelayMicroseconds) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.dispatch();
      return;
    }
    if (this.policy.eager && this.announced === 0) {
      // Nothing else is on its way: send at the end of this turn, once everything already read is queued.
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        if (this.queue.length > 0 && this.running < this.policy.instances && this.announced === 0) {
          clearTimeout(this.timer);
          this.timer = undefined;
          this.dispatch();
        }
      });
    }
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.schedule();
      },
      Math.max(0, (this.policy.maxQueueDelayMicroseconds - waitedUs) / 1000),
    );
  }

  private dispatch(): void {
    const batch: Pending[] = [];
    let rows = 0;
    const gather = this.policy.gather ?? true;
    while (this.queue.length > 0 && rows + (this.queue[0] as Pending).rows <= this.policy.maxBatchSize) {
      const next = this.queue.shift() as Pending;
      batch.push(next);
      rows += next.rows;
      if (!gather) break;
    }
    this.queuedRows -= rows;
    const now = performance.now();
    for (const p of batch) this.observer.onQueued?.((now - p.enqueuedAt) / 1000);
    this.observer.onBatch?.(rows, batch.length);

    const input = new Float32Array(rows * this.rowLength);
    let offset = 0;
    for (const p of batch) {
      input.set(p.input, offset);
      offset += p.input.length;
    }
    this.running++;
    this.inner
      .run(input, rows)
      .then(
        (output) => {
          let row = 0;
          for (const p of batch) {
            p.resolve(output.slice(row * this.classes, (row + p.rows) * this.classes));
            row += p.rows;
          }
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        this.running--;
        this.schedule();
      });
    // More may be waiting than fitted, and another instance may be free.
    this.schedule();
  }
}
