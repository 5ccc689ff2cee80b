import {
  IMAGE_INPUT_NAME,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type ModelMetadata,
  SERVER_EXTENSIONS,
} from '../contracts/inference-api.ts';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { HttpError, type ResponseHeaders } from '../platform/http-error.ts';
import { type HttpExchange, methodNotAllowed } from '../platform/http-exchange.ts';
import { readBody } from '../platform/read-body.ts';
import type { GpuHostConfig } from './config.ts';
import {
  ImageTooLargeError,
  InvalidRequestError,
  ModelNotFoundError,
  QueueFullError,
  UnsupportedImageError,
} from './errors.ts';
import type { InferenceService } from './inference-service.ts';
import type { GpuHostMetrics, RouteName } from './metrics.ts';
import type { ModelLoader } from './model-loader.ts';
import { RepositorySyncError } from './s3-repository-sync.ts';
import { tritonModelConfig } from './triton-model-config.ts';
import { parseInferRequest } from './v2-infer-request.ts';
import { encodeInferResponse } from './v2-infer-response.ts';

export const SERVER_NAME = 'pictor-gpu-host';
export const SERVER_VERSION = '0.2.0';

const MODEL_ROUTE =
  /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|classify|config|stats))?$/;
const REPOSITORY_MODEL_ROUTE = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/;

/** Default number of ranked labels the image route returns. */
const DEFAULT_TOP_K = 3;
/** Largest body of the small control requests (repository index, load, unload). */
const CONTROL_BODY_LIMIT = 64 * 1024;

/** The request headers the routes read (uWS gives them only before the first await). */
export const ROUTE_HEADERS = [INFERENCE_HEADER_CONTENT_LENGTH] as const;

const BINARY_ANSWER = 'application/octet-stream';
const JSON_ANSWER = 'application/json';

/** What a handler tells the edge about the request, for logs and metrics. */
export interface RequestContext {
  readonly id: string;
  route: RouteName;
  model: string;
}

export interface RouteDeps {
  readonly service: InferenceService;
  readonly loader: ModelLoader;
  readonly metrics: GpuHostMetrics;
  readonly config: Pick<
    GpuHostConfig,
    'maxImageBytes' | 'maxRequestBytes' | 'modelControlMode' | 'modelInstances' | 'dynamicBatching'
  >;
  /** Readiness turns 400 while the host shuts down. */
  readonly shuttingDown: () => boolean;
}

/** A request handler: answers the exchange, or throws an error for the edge to map to a status. */
export type Routes = (exchange: HttpExchange, ctx: RequestContext) => Promise<void>;

/**
 * The Open Inference Protocol v2 REST API with its extensions, `/metrics` and the image route: routes
 * requests by path, answers them, and throws the errors `toHttpError` maps to statuses.
 */
export function createRoutes(deps: RouteDeps): Routes {
  const { service, loader, metrics, config } = deps;
  const registry = service.registry;

  return async (exchange, ctx) => {
    const { path, method } = exchange;

    if (path === '/v2/health/live' || path === '/v2/health/ready') {
      ctx.route = 'health';
      allow(method, GET, path);
      // The body as the spec shows it: clients (KServe's) read `.live` / `.ready` from it.
      if (path === '/v2/health/live') return exchange.json(200, { live: true });
      const ready = !deps.shuttingDown() && registry.size > 0;
      return exchange.json(ready ? 200 : 400, { ready });
    }
    if (path === '/v2' || path === '/v2/') {
      ctx.route = 'server_metadata';
      allow(method, GET, path);
      return exchange.json(200, {
        name: SERVER_NAME,
        version: SERVER_VERSION,
        extensions: SERVER_EXTENSIONS,
      });
    }
    if (path === '/metrics') {
      ctx.route = 'metrics';
      allow(method, GET, path);
      const text = await metrics.render();
      return exchange.send(200, text, { 'content-type': metrics.contentType });
    }
    if (path === '/v2/repository/index') {
      ctx.route = 'repository';
      allow(method, POST, path);
      const body = parseOptionalJson(await readBody(exchange, CONTROL_BODY_LIMIT));
      const ready = (body as { ready?: unknown } | undefined)?.ready;
      if (ready !== undefined && typeof ready !== 'boolean') {
        throw new InvalidRequestError(`ready: must be true or false, got ${JSON.stringify(ready)}`);
      }
      return exchange.json(
        200,
        registry.index().filter((e) => !ready || e.state === 'READY'),
      );
    }
    const control = path.startsWith('/v2/repository/') ? REPOSITORY_MODEL_ROUTE.exec(path) : null;
    if (control) {
      ctx.route = 'repository';
      allow(method, POST, path);
      const body = parseOptionalJson(await readBody(exchange, CONTROL_BODY_LIMIT));
      if (control[2] === 'load') refuseOverrides(body);
      // Poll mode takes a load as "re-scan this model now"; what it serves follows the repository alone.
      const allowed =
        config.modelControlMode === 'explicit' ||
        (config.modelControlMode === 'poll' && control[2] === 'load');
      if (!allowed) {
        throw new InvalidRequestError(
          config.modelControlMode === 'poll'
            ? 'unload is refused in poll mode: remove the model folder from the repository instead'
            : 'model control is off: start the host with MODEL_CONTROL_MODE=explicit to load and unload models',
        );
      }
      const name = checkModelName(decodeURIComponent(control[1] as string));
      ctx.model = name;
      if (control[2] === 'load') await loader.load(name);
      else await loader.unload(name);
      return exchange.json(200, {});
    }

    if (path === '/v2/models/stats') {
      // Every model's statistics, as Triton answers a statistics request that names no model.
      ctx.route = 'model_stats';
      allow(method, GET, path);
      const ready = registry.index().filter((e) => e.state === 'READY');
      return exchange.json(200, {
        model_stats: ready.map((e) => metrics.statistics.snapshot(e.name, e.version)),
      });
    }
    const match = MODEL_ROUTE.exec(path);
    if (!match) throw new HttpError(404, 'not_found', `no route for ${method} ${path}`);
    const [, rawName, rawVersion, action] = match;
    ctx.route = action === undefined ? 'model_metadata' : ACTION_ROUTES[action as keyof typeof ACTION_ROUTES];
    const name = decodeURIComponent(rawName as string);
    const version = rawVersion === undefined ? undefined : decodeURIComponent(rawVersion);
    allow(method, action === 'infer' || action === 'classify' ? POST : GET, path);
    const classifier = registry.resolve(name, version);
    const { manifest } = classifier;
    ctx.model = manifest.name;

    if (action === undefined) {
      return exchange.json(
        200,
        modelMetadata(
          manifest,
          registry.versions(name),
          registry.defaultVersion(name) as string,
          classifier.executionProvider,
        ),
      );
    }
    if (action === 'ready') return exchange.send(200);
    if (action === 'config') {
      return exchange.json(
        200,
        tritonModelConfig(manifest, {
          instances: config.modelInstances,
          gpu: classifier.executionProvider === 'cuda',
          dynamicBatching: config.dynamicBatching,
        }),
      );
    }
    if (action === 'stats') {
      const wanted = rawVersion === undefined ? registry.versions(name) : [manifest.version];
      return exchange.json(200, { model_stats: wanted.map((v) => metrics.statistics.snapshot(name, v)) });
    }
    // A batcher waits for this request while its body is read and its images decoded.
    const queued = classifier.announce?.();
    const started = performance.now();
    let ok = false;
    try {
      if (action === 'infer') {
        const headerLength = exchange.header(INFERENCE_HEADER_CONTENT_LENGTH);
        const body = await readBody(exchange, config.maxRequestBytes);
        const request = parseInferRequest(body, headerLength, manifest);
        const probabilities = await service.run(classifier, request.input, queued);
        const encoded = encodeInferResponse(
          { manifest, id: request.id, batchSize: request.input.batchSize, probabilities },
          request.outputs,
        );
        ok = true;
        return exchange.send(
          200,
          encoded.body,
          encoded.hasBinary
            ? {
                'content-type': BINARY_ANSWER,
                [INFERENCE_HEADER_CONTENT_LENGTH]: String(encoded.jsonLength),
              }
            : { 'content-type': JSON_ANSWER },
        );
      }
      const k = parseTopK(new URLSearchParams(exchange.query).get('top_k'), manifest.labels.length);
      const bytes = await readBody(exchange, config.maxImageBytes);
      const classified = await service.classifyImage(classifier, bytes, k, queued);
      ok = true;
      return exchange.json(200, classified);
    } finally {
      queued?.();
      metrics.statistics.onRequest(name, manifest.version, ok, (performance.now() - started) / 1000);
    }
  };
}

// HEAD is answered wherever GET is, with the headers and length only (HttpExchange.send).
const GET = ['GET', 'HEAD'] as const;
const POST = ['POST'] as const;

const ACTION_ROUTES = {
  infer: 'infer',
  classify: 'classify',
  ready: 'model_ready',
  config: 'model_config',
  stats: 'model_stats',
} as const satisfies Record<string, RouteName>;

/**
 * A load request may carry `parameters.config` or `parameters["file:…"]` (Triton's overrides); the
 * host serves only what its repository holds, so it refuses them rather than ignore them.
 */
function refuseOverrides(body: unknown): void {
  const parameters = (body as { parameters?: unknown } | undefined)?.parameters;
  if (parameters === undefined || parameters === null || typeof parameters !== 'object') return;
  const overrides = Object.keys(parameters).filter((k) => k === 'config' || k.startsWith('file:'));
  if (overrides.length > 0) {
    throw new InvalidRequestError(
      `parameters.${overrides[0]}: overrides are not supported; put the model and its manifest in the repository and load it by name`,
    );
  }
}

/**
 * Model metadata: the FP32 tensor input and, as an alternative, `image` (BYTES `[batch]` of encoded
 * images, decoded and preprocessed by the host, like a Triton ensemble with a preprocessing step).
 * A request gives exactly one of the two. Asked without a version, it describes the default version.
 */
function modelMetadata(
  manifest: ModelManifest,
  versions: readonly string[],
  defaultVersion: string,
  executionProvider: string,
): ModelMetadata {
  return {
    name: manifest.name,
    versions: [...versions],
    platform: manifest.platform,
    inputs: [
      { name: manifest.input.name, datatype: manifest.input.datatype, shape: [-1, ...manifest.input.dims] },
      { name: IMAGE_INPUT_NAME, datatype: 'BYTES', shape: [-1] },
    ],
    outputs: [
      {
        name: manifest.output.name,
        datatype: manifest.output.datatype,
        shape: [-1, ...manifest.output.dims],
      },
    ],
    parameters: {
      display_name: manifest.displayName,
      labels: manifest.labels,
      preprocessing: manifest.preprocessing,
      max_batch_size: manifest.maxBatchSize,
      max_queue_delay_microseconds: manifest.dynamicBatching.maxQueueDelayMicroseconds,
      held_out_accuracy: manifest.training.heldOutAccuracy,
      ...(manifest.outOfDistribution && {
        ood_method: manifest.outOfDistribution.method,
        ood_threshold: manifest.outOfDistribution.threshold,
        ood_temperature: manifest.outOfDistribution.temperature,
      }),
      execution_provider: executionProvider,
      // The version a request naming none gets (serving.json's, else the newest); `versions` stays newest first.
      default_version: defaultVersion,
      input_alternatives: `${manifest.input.name}|${IMAGE_INPUT_NAME}`,
    },
  };
}

function allow(method: string, allowed: readonly string[], path: string): void {
  if (!allowed.includes(method)) throw methodNotAllowed(method, path, allowed);
}

function checkModelName(name: string): string {
  const parsed = modelNameSchema.safeParse(name);
  if (!parsed.success)
    throw new InvalidRequestError(`model name: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function parseOptionalJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidRequestError('body: not valid JSON');
  }
}

function parseTopK(raw: string | null, classes: number): number {
  if (raw === null) return Math.min(DEFAULT_TOP_K, classes);
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > classes) {
    throw new InvalidRequestError(`top_k: must be an integer from 1 to ${classes}, got "${raw}"`);
  }
  return k;
}

/** An error as the answer it becomes: status, message, a stable code, and any headers. */
export function toHttpError(error: unknown): {
  status: number;
  message: string;
  code: string;
  headers: ResponseHeaders | undefined;
} {
  const of = (status: number, code: string) => ({
    status,
    message: (error as Error).message,
    code,
    headers: undefined,
  });
  if (error instanceof HttpError)
    return { status: error.status, message: error.message, code: error.code, headers: error.headers };
  if (error instanceof ModelNotFoundError) return of(404, 'unknown_model');
  if (error instanceof InvalidRequestError) return of(400, 'invalid_request');
  if (error instanceof URIError) {
    return {
      status: 400,
      message: 'path: malformed percent-encoding',
      code: 'invalid_request',
      headers: undefined,
    };
  }
  if (error instanceof QueueFullError) {
    return {
      status: 503,
      message: error.message,
      code: 'queue_full',
      headers: { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof ImageTooLargeError) return of(413, 'image_too_large');
  if (error instanceof RepositorySyncError) return of(503, 'repository_unavailable');
  if (error instanceof UnsupportedImageError) return of(415, 'unsupported_image');
  return { status: 500, message: 'inference failed; see the host log', code: 'internal', headers: undefined };
}
