/** A count and the nanoseconds it took, as Triton's statistics report each duration. */
interface Duration {
  count: number;
  ns: number;
}

interface VersionStatistics {
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  success: Duration;
  fail: Duration;
  queue: Duration;
  computeInfer: Duration;
  byBatchSize: Map<number, Duration>;
}

const none = (): Duration => ({ count: 0, ns: 0 });
const ns = (seconds: number) => Math.round(seconds * 1e9);
const zero = { count: 0, ns: 0 } as const;

/**
 * Per model version, what Triton's statistics extension reports (`GET /v2/models/{m}/stats`, read by
 * perf_analyzer): requests that succeeded or failed and how long they took, time queued, model runs
 * and their compute time by batch size. Counts since the host started.
 */
export class ModelStatistics {
  private readonly versions = new Map<string, VersionStatistics>();

  /** An infer or classify request ended, after `seconds`. */
  onRequest(model: string, version: string, ok: boolean, seconds: number): void {
    const s = this.of(model, version);
    const d = ok ? s.success : s.fail;
    d.count++;
    d.ns += ns(seconds);
    if (ok) s.lastInference = Date.now();
  }

  /** A request waited `seconds` for its batch. */
  onQueued(model: string, version: string, seconds: number): void {
    const q = this.of(model, version).queue;
    q.count++;
    q.ns += ns(seconds);
  }

  /** The model ran once on `rows` rows, for `seconds`. */
  onRun(model: string, version: string, rows: number, seconds: number): void {
    const s = this.of(model, version);
    s.inferenceCount += rows;
    s.executionCount++;
    s.computeInfer.count++;
    s.computeInfer.ns += ns(seconds);
    let batch = s.byBatchSize.get(rows);
    if (!batch) {
      batch = none();
      s.byBatchSize.set(rows, batch);
    }
    batch.count++;
    batch.ns += ns(seconds);
  }

  /** One entry of `model_stats`, in Triton's shape (durations it does not measure separately are 0). */
  snapshot(model: string, version: string) {
    const s = this.of(model, version);
    return {
      name: model,
      version,
      last_inference: s.lastInference,
      inference_count: s.inferenceCount,
      execution_count: s.executionCount,
      inference_stats: {
        success: { ...s.success },
        fail: { ...s.fail },
        queue: { ...s.queue },
        // Decoding and preprocessing are part of compute_input in Triton; here they are inside success.
        compute_input: { ...zero },
        compute_infer: { ...s.computeInfer },
        compute_output: { ...zero },
        cache_hit: { ...zero },
        cache_miss: { ...zero },
      },
      batch_stats: [...s.byBatchSize]
        .sort(([a], [b]) => a - b)
        .map(([batchSize, d]) => ({
          batch_size: batchSize,
          compute_input: { count: d.count, ns: 0 },
          compute_infer: { ...d },
          compute_output: { count: d.count, ns: 0 },
        })),
      memory_usage: [],
    };
  }

  private of(model: string, version: string): VersionStatistics {
    const key = `${model}\u0000${version}`;
    let s = this.versions.get(key);
    if (!s) {
      s = {
        lastInference: 0,
        inferenceCount: 0,
        executionCount: 0,
        success: none(),
        fail: none(),
        queue: none(),
        computeInfer: none(),
        byBatchSize: new Map(),
      };
      this.versions.set(key, s);
    }
    return s;
  }
}
