import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import type { GpuHostConfig } from './config.ts';
import {
  ImageTooLargeError,
  InvalidRequestError,
  ModelNotFoundError,
  UnsupportedImageError,
} from './errors.ts';
import { readBody } from './http-body.ts';
import type { InferenceService } from './inference-service.ts';
import { parseInferRequest } from './v2-infer-request.ts';

export const SERVER_NAME = 'pictor-gpu-host';
export const SERVER_VERSION = '0.1.0';

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(ready|infer|classify))?$/;

/** Default and largest number of ranked labels the image route returns. */
const DEFAULT_TOP_K = 3;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The Open Inference Protocol v2 REST surface (plus the image route) over node:http. */
export function createInferenceServer(
  service: InferenceService,
  config: Pick<GpuHostConfig, 'maxImageBytes' | 'maxJsonBytes'>,
  log: Logger,
): Server {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://host');
    const path = url.pathname;
    if (path === '/v2/health/live') return sendJson(res, 200, { live: true });
    if (path === '/v2/health/ready') {
      const ready = service.registry.size > 0;
      return sendJson(res, ready ? 200 : 503, { ready });
    }
    if (path === '/v2' && req.method === 'GET') {
      return sendJson(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] });
    }
    if (path === '/v2/repository/index' && req.method === 'POST') {
      // Triton's model repository extension: every loaded model version, all READY.
      return sendJson(
        res,
        200,
        service.registry
          .list()
          .map((c) => ({ name: c.manifest.name, version: c.manifest.version, state: 'READY' })),
      );
    }
    const match = MODEL_ROUTE.exec(path);
    if (!match) throw new HttpError(404, `no route for ${req.method} ${path}`, 'not_found');
    const [, rawName, rawVersion, action] = match;
    const name = decodeURIComponent(rawName as string);
    const version = rawVersion === undefined ? undefined : decodeURIComponent(rawVersion);
    const classifier = service.registry.resolve(name, version);

    if (action === undefined && req.method === 'GET')
      return sendJson(res, 200, modelMetadata(classifier.manifest));
    if (action === 'ready' && req.method === 'GET') {
      return sendJson(res, 200, { name, ready: true });
    }
    if (action === 'infer' && req.method === 'POST') {
      const body = await readBody(req, config.maxJsonBytes);
      const request = parseInferRequest(parseJson(body), classifier.manifest);
      const output = await classifier.run(request.input, request.batchSize);
      const { manifest } = classifier;
      return sendJson(res, 200, {
        model_name: manifest.name,
        model_version: manifest.version,
        ...(request.id === undefined ? {} : { id: request.id }),
        outputs: [
          {
            name: manifest.output.name,
            datatype: 'FP32',
            shape: [request.batchSize, manifest.labels.length],
            data: Array.from(output),
          },
        ],
      });
    }
    if (action === 'classify' && req.method === 'POST') {
      const k = parseTopK(url.searchParams.get('top_k'), classifier.manifest.labels.length);
      const bytes = await readBody(req, config.maxImageBytes);
      return sendJson(res, 200, await service.classifyImage(name, bytes, k, version));
    }
    throw new HttpError(405, `${req.method} is not allowed on ${path}`, 'method_not_allowed');
  };

  return createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((error: unknown) => {
        const { status, message, code } = toHttpError(error);
        if (status >= 500) log.error({ err: error, path: req.url }, 'request failed');
        if (!res.headersSent) sendJson(res, status, { error: message, code });
        else res.destroy();
        // A body left unread would keep the connection busy; drop it after answering.
        if (!req.complete) req.resume();
      })
      .finally(() => {
        log.debug({
          method: req.method,
          path: req.url,
          status: res.statusCode,
          ms: performance.now() - started,
        });
      });
  });
}

function modelMetadata(manifest: ModelManifest) {
  return {
    name: manifest.name,
    versions: [manifest.version],
    platform: manifest.platform,
    inputs: [
      { name: manifest.input.name, datatype: manifest.input.datatype, shape: [-1, ...manifest.input.dims] },
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
      held_out_accuracy: manifest.training.heldOutAccuracy,
    },
  };
}

function parseJson(body: Buffer): unknown {
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

function toHttpError(error: unknown): { status: number; message: string; code: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message, code: error.code };
  if (error instanceof ModelNotFoundError)
    return { status: 404, message: error.message, code: 'unknown_model' };
  if (error instanceof InvalidRequestError)
    return { status: 400, message: error.message, code: 'invalid_request' };
  if (error instanceof ImageTooLargeError)
    return { status: 413, message: error.message, code: 'image_too_large' };
  if (error instanceof UnsupportedImageError) {
    return { status: 415, message: error.message, code: 'unsupported_image' };
  }
  return { status: 500, message: 'inference failed; see the host log', code: 'internal' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
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
