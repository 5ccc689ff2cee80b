import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import {
  IMAGE_INPUT_NAME,
  INFERENCE_HEADER_CONTENT_LENGTH,
  SERVER_EXTENSIONS,
} from '../contracts/inference-api.ts';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import type { GpuHostConfig } from './config.ts';
import {
  ImageTooLargeError,
  InvalidRequestError,
  ModelNotFoundError,
  RequestTooLargeError,
  UnsupportedImageError,
} from './errors.ts';
import { readBody } from './http-body.ts';
import type { InferenceService } from './inference-service.ts';
import type { GpuHostMetrics, RouteName } from './metrics.ts';
import type { ModelLoader } from './model-loader.ts';
import { REQUEST_ID_HEADER, resolveRequestId } from './request-id.ts';
import { parseInferRequest } from './v2-infer-request.ts';
import { encodeInferResponse } from './v2-infer-response.ts';

export const SERVER_NAME = 'pictor-gpu-host';
export const SERVER_VERSION = '0.2.0';

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|classify))?$/;
const REPOSITORY_MODEL_ROUTE = /^\/v2\/repository\/models\/([^/]+)\/(load|unload)$/;

/** Default number of ranked labels the image route returns. */
const DEFAULT_TOP_K = 3;
/** Largest body of the small control requests (repository index, load, unload). */
const CONTROL_BODY_LIMIT = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

/** What a handler tells the edge about the request, for logs and metrics. */
interface RequestContext {
  readonly id: string;
  route: RouteName;
  model: string;
}

/** The HTTP server and the controls the host needs for a graceful shutdown. */
export interface InferenceServer {
  readonly server: Server;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets every request in flight finish (answers then carry
   * `connection: close`), and resolves once all connections are closed, cutting them after `timeoutMs`.
   */
  shutdown(timeoutMs: number): Promise<void>;
}

export interface InferenceServerDeps {
  readonly service: InferenceService;
  readonly loader: ModelLoader;
  readonly metrics: GpuHostMetrics;
  readonly config: Pick<GpuHostConfig, 'maxImageBytes' | 'maxRequestBytes' | 'modelControlMode'>;
  readonly log: Logger;
}

/** The Open Inference Protocol v2 REST API (with its extensions, `/metrics` and the image route) over node:http. */
export function createInferenceServer(deps: InferenceServerDeps): InferenceServer {
  const { service, loader, metrics, config, log } = deps;
  const registry = service.registry;
  let shuttingDown = false;
  let inFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> => {
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    // Only the image route reads a query; the hot infer path skips building a URL.
    const path = query === -1 ? target : target.slice(0, query);
    const method = req.method ?? 'GET';

    if (path === '/v2/health/live' || path === '/v2/health/ready') {
      ctx.route = 'health';
      allow(method, ['GET'], path);
      const ok = path === '/v2/health/live' || (!shuttingDown && registry.size > 0);
      return sendEmpty(res, ok ? 200 : 400);
    }
    if (path === '/v2') {
      ctx.route = 'server_metadata';
      allow(method, ['GET'], path);
      return sendJson(res, 200, {
        name: SERVER_NAME,
        version: SERVER_VERSION,
        extensions: SERVER_EXTENSIONS,
      });
    }
    if (path === '/metrics') {
      ctx.route = 'metrics';
      allow(method, ['GET'], path);
      return send(res, 200, Buffer.from(await metrics.render()), { 'content-type': metrics.contentType });
    }
    if (path === '/v2/repository/index') {
      ctx.route = 'repository';
      allow(method, ['POST'], path);
      const body = parseOptionalJson(await readBody(req, CONTROL_BODY_LIMIT));
      const ready = (body as { ready?: unknown } | undefined)?.ready;
      if (ready !== undefined && typeof ready !== 'boolean') {
        throw new InvalidRequestError(`ready: must be true or false, got ${JSON.stringify(ready)}`);
      }
      return sendJson(
        res,
        200,
        registry.index().filter((e) => !ready || e.state === 'READY'),
      );
    }
    const control = REPOSITORY_MODEL_ROUTE.exec(path);
    if (control) {
      ctx.route = 'repository';
      allow(method, ['POST'], path);
      await readBody(req, CONTROL_BODY_LIMIT);
      if (config.modelControlMode !== 'explicit') {
        throw new InvalidRequestError(
          'model control is off: start the host with MODEL_CONTROL_MODE=explicit to load and unload models',
        );
      }
      const name = checkModelName(decodeURIComponent(control[1] as string));
      ctx.model = name;
      if (control[2] === 'load') await loader.load(name);
      else await loader.unload(name);
      return sendJson(res, 200, {});
    }

    const match = MODEL_ROUTE.exec(path);
    if (!match) throw new HttpError(404, `no route for ${method} ${path}`, 'not_found');
    const [, rawName, rawVersion, action] = match;
    ctx.route =
      action === 'infer'
        ? 'infer'
        : action === 'classify'
          ? 'classify'
          : action === 'ready'
            ? 'model_ready'
            : 'model_metadata';
    const name = decodeURIComponent(rawName as string);
    const version = rawVersion === undefined ? undefined : decodeURIComponent(rawVersion);
    allow(method, action === 'infer' || action === 'classify' ? ['POST'] : ['GET'], path);
    const classifier = registry.resolve(name, version);
    const { manifest } = classifier;
    ctx.model = manifest.name;

    if (action === undefined)
      return sendJson(
        res,
        200,
        modelMetadata(manifest, registry.versions(name), classifier.executionProvider),
      );
    if (action === 'ready') return sendEmpty(res, 200);
    // A batcher waits for this request while its body is read and its images decoded.
    const queued = classifier.announce?.();
    try {
      if (action === 'infer') {
        const body = await readBody(req, config.maxRequestBytes);
        const request = parseInferRequest(body, header(req, INFERENCE_HEADER_CONTENT_LENGTH), manifest);
        const probabilities = await service.run(classifier, request.input, queued);
        const encoded = encodeInferResponse(
          { manifest, id: request.id, batchSize: request.input.batchSize, probabilities },
          request.outputs,
        );
        return send(
          res,
          200,
          encoded.body,
          encoded.hasBinary
            ? {
                'content-type': 'application/octet-stream',
                [INFERENCE_HEADER_CONTENT_LENGTH]: encoded.jsonLength,
              }
            : { 'content-type': 'application/json' },
        );
      }
      const k = parseTopK(
        new URLSearchParams(query === -1 ? '' : target.slice(query + 1)).get('top_k'),
        manifest.labels.length,
      );
      const bytes = await readBody(req, config.maxImageBytes);
      return sendJson(res, 200, await service.classifyImage(classifier, bytes, k, queued));
    } finally {
      queued?.();
    }
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const ctx: RequestContext = {
      id: resolveRequestId(req.headers[REQUEST_ID_HEADER]),
      route: 'unknown',
      model: '',
    };
    inFlight++;
    metrics.requestStarted();
    res.setHeader(REQUEST_ID_HEADER, ctx.id);
    if (shuttingDown) res.setHeader('connection', 'close');
    let failure: { error: unknown; message: string } | undefined;
    res.once('close', () => {
      inFlight--;
      metrics.requestFinished();
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest(ctx.route, ctx.model, res.statusCode, seconds);
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug';
      if (!log.isLevelEnabled(level)) return;
      const fields = {
        reqId: ctx.id,
        method: req.method,
        path: req.url,
        route: ctx.route,
        model: ctx.model || undefined,
        status: res.statusCode,
        ms: Math.round(seconds * 1e4) / 10,
        ...(failure ? { error: failure.message } : {}),
      };
      if (level === 'error') log.error({ ...fields, err: failure?.error }, 'request failed');
      else if (level === 'info') log.info(fields, 'request refused');
      else log.debug(fields, 'request answered');
    });
    handle(req, res, ctx).catch((error: unknown) => {
      const { status, message, code, headers } = toHttpError(error);
      failure = { error, message };
      if (!res.headersSent) sendJson(res, status, { error: message, code }, headers);
      else res.destroy();
      // A body left unread would keep the connection busy; drop it after answering.
      if (!req.complete) req.resume();
    });
  });

  return {
    server,
    inFlight: () => inFlight,
    async shutdown(timeoutMs) {
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
      });
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        log.warn({ inFlight }, 'shutdown timeout: closing connections with requests still in flight');
        server.closeAllConnections();
      }, timeoutMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}

/**
 * Model metadata: the FP32 tensor input and, as an alternative, `image` (BYTES `[batch]` of encoded
 * images, decoded and preprocessed by the host, like a Triton ensemble with a preprocessing step).
 * A request gives exactly one of the two.
 */
function modelMetadata(manifest: ModelManifest, versions: readonly string[], executionProvider: string) {
  return {
    name: manifest.name,
    versions,
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
      execution_provider: executionProvider,
      input_alternatives: `${manifest.input.name}|${IMAGE_INPUT_NAME}`,
    },
  };
}

function allow(method: string, allowed: readonly string[], path: string): void {
  if (!allowed.includes(method)) {
    throw new HttpError(
      405,
      `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
      'method_not_allowed',
      {
        allow: allowed.join(', '),
      },
    );
  }
}

function checkModelName(name: string): string {
  const parsed = modelNameSchema.safeParse(name);
  if (!parsed.success)
    throw new InvalidRequestError(`model name: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
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

function toHttpError(error: unknown): {
  status: number;
  message: string;
  code: string;
  headers: OutgoingHttpHeaders;
} {
  const of = (status: number, code: string) => ({
    status,
    message: (error as Error).message,
    code,
    headers: {},
  });
  if (error instanceof HttpError)
    return { status: error.status, message: error.message, code: error.code, headers: error.headers };
  if (error instanceof ModelNotFoundError) return of(404, 'unknown_model');
  if (error instanceof InvalidRequestError) return of(400, 'invalid_request');
  if (error instanceof URIError) {
    return { status: 400, message: 'path: malformed percent-encoding', code: 'invalid_request', headers: {} };
  }
  if (error instanceof RequestTooLargeError) return of(413, 'request_too_large');
  if (error instanceof ImageTooLargeError) return of(413, 'image_too_large');
  if (error instanceof UnsupportedImageError) return of(415, 'unsupported_image');
  return { status: 500, message: 'inference failed; see the host log', code: 'internal', headers: {} };
}

function send(res: ServerResponse, status: number, body: Buffer, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, { ...headers, 'content-length': body.length });
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  send(res, status, Buffer.from(JSON.stringify(body), 'utf8'), {
    ...headers,
    'content-type': 'application/json',
  });
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

/** Listens on `port` (0 for a free one) and resolves with the port actually bound. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
