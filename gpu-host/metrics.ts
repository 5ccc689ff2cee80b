import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchObserver } from './dynamic-batcher.ts';
import { ModelStatistics } from './model-statistics.ts';

/** The routes requests are counted under (a fixed set, so labels stay bounded). */
export type RouteName =
  | 'health'
  | 'server_metadata'
  | 'model_metadata'
  | 'model_ready'
  | 'model_config'
  | 'model_stats'
  | 'infer'
  | 'classify'
  | 'repository'
  | 'metrics'
  | 'unknown';

/** Why an image was refused, for `gpu_host_images_refused_total`. */
export type ImageRefusal = 'unsupported' | 'too_large';

/**
 * The host's Prometheus metrics, in a registry of its own (so several hosts can run in one process,
 * as the tests do). Names follow Prometheus conventions: `_total` counters, `_seconds` histograms.
 */
export class GpuHostMetrics {
  readonly registry = new Registry();
  /** Triton's statistics extension (`GET /v2/models/{m}/stats`), fed by the same observers. */
  readonly statistics = new ModelStatistics();
  private readonly requests: Counter<'route' | 'model'>;
  private readonly failures: Counter<'route' | 'model' | 'status'>;
  private readonly latency: Histogram<'route' | 'model'>;
  private readInFlight: () => number = () => 0;
  private readonly queueTime: Histogram<'model' | 'version'>;
  private readonly batchSize: Histogram<'model' | 'version'>;
  private readonly computeTime: Histogram<'model' | 'version'>;
  private readonly imagesDecoded: Counter<'format'>;
  private readonly imagesRefused: Counter<'reason'>;
  /** Label children per route and model (and status), made once: no label objects per request. */
  private readonly requestChildren = new Map<
    string,
    { requests: Counter.Internal; latency: Histogram.Internal<'route' | 'model'> }
  >();
  private readonly failureChildren = new Map<string, Counter.Internal>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'gpu_host_requests_total',
      help: 'Requests answered, by route and model',
      labelNames: ['route', 'model'],
      registers,
    });
    this.failures = new Counter({
      name: 'gpu_host_request_failures_total',
      help: 'Requests answered with an error status, by route, model and status',
      labelNames: ['route', 'model', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'gpu_host_request_duration_seconds',
      help: 'Time from request to the end of the response, by route and model',
      labelNames: ['route', 'model'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const readInFlight = () => this.readInFlight();
    new Gauge({
      name: 'gpu_host_requests_in_flight',
      help: 'Requests received and not yet answered',
      registers,
      // Read when scraped rather than counted on every request.
      collect() {
        this.set(readInFlight());
      },
    });
    this.queueTime = new Histogram({
      name: 'gpu_host_queue_duration_seconds',
      help: 'Time a request waited in the dynamic batcher before its batch ran',
      labelNames: ['model', 'version'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'gpu_host_batch_size',
      help: 'Rows in each model run',
      labelNames: ['model', 'version'],
      buckets: [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256],
      registers,
    });
    this.computeTime = new Histogram({
      name: 'gpu_host_compute_duration_seconds',
      help: 'Time of each model run',
      labelNames: ['model', 'version'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.imagesDecoded = new Counter({
      name: 'gpu_host_images_decoded_total',
      help: 'Encoded images decoded, by format',
      labelNames: ['format'],
      registers,
    });
    this.imagesRefused = new Counter({
      name: 'gpu_host_images_refused_total',
      help: 'Images refused, by reason',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Counts one answered request; `model` is '' when the request named no loaded model. */
  observeRequest(route: RouteName, model: string, status: number, seconds: number): void {
    const key = `${route}\u0000${model}`;
    let children = this.requestChildren.get(key);
    if (!children) {
      children = {
        requests: this.requests.labels({ route, model }),
        latency: this.latency.labels({ route, model }),
      };
      this.requestChildren.set(key, children);
    }
    children.requests.inc();
    children.latency.observe(seconds);
    if (status < 400) return;
    const failureKey = `${key}\u0000${status}`;
    let failures = this.failureChildren.get(failureKey);
    if (!failures) {
      failures = this.failures.labels({ route, model, status: String(status) });
      this.failureChildren.set(failureKey, failures);
    }
    failures.inc();
  }

  /** Where `gpu_host_requests_in_flight` is read from when the metrics are scraped. */
  countInFlight(read: () => number): void {
    this.readInFlight = read;
  }

  /** What a model version reports of each run: its rows and how long it took. */
  runObserver(model: string, version: string): (rows: number, seconds: number) => void {
    const batchSize = this.batchSize.labels({ model, version });
    const computeTime = this.computeTime.labels({ model, version });
    return (rows, seconds) => {
      batchSize.observe(rows);
      computeTime.observe(seconds);
      this.statistics.onRun(model, version, rows, seconds);
    };
  }

  /** What a model version's dynamic batcher reports: how long each request queued. */
  batchObserver(model: string, version: string): BatchObserver {
    const queueTime = this.queueTime.labels({ model, version });
    return {
      onQueued: (seconds) => {
        queueTime.observe(seconds);
        this.statistics.onQueued(model, version, seconds);
      },
    };
  }

  imageDecoded(format: string): void {
    this.imagesDecoded.inc({ format });
  }

  imageRefused(reason: ImageRefusal): void {
    this.imagesRefused.inc({ reason });
  }

  /** The exposition text for `GET /metrics`. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
