import uWS, {
  type TemplatedApp,
  type us_listen_socket,
  type WebSocket,
} from '@trufflesuite/uws-js-unofficial';
import { type Logger, pino } from 'pino';
import { isUploadId } from '../contracts/s3-keys.ts';
import { createUploadRequestSchema } from '../contracts/uploads.ts';
import { clientMessageSchema, type PredictionStatus, type ServerMessage } from '../contracts/ws-messages.ts';
import { createS3Client } from '../platform/s3-client.ts';
import type { GatewayConfig } from './config.ts';
import { createPresignedUpload } from './presign.ts';
import { ingestResult } from './result-ingest.ts';
import { ResultStore } from './result-store.ts';
import { resultMessage, uploadTopic } from './server-messages.ts';
import { StaticFiles } from './static-files.ts';
import { verifyUploadToken } from './upload-token.ts';
import { HttpError, headersOf, parseJsonBody, ResponseGuard, readBody } from './uws-http.ts';

const MAX_API_BODY_BYTES = 16 * 1024;
const MAX_SUBSCRIPTIONS_PER_SOCKET = 64;

interface SocketData {
  readonly remote: string;
}

export interface RunningGateway {
  readonly port: number;
  readonly url: string;
  readonly results: ResultStore;
  /** Stops listening, closes every WebSocket (code 1001), resolves when done. */
  close(): Promise<void>;
}

/** uWS silently falls back to a JS build when its binary does not load; we refuse to run on it. */
export function assertNativeUws(): void {
  if (!/native code/.test(uWS.App.toString())) {
    throw new Error(
      'uWebSockets.js native binary did not load (the JS fallback is active). Reinstall @trufflesuite/uws-js-unofficial on Node 20 / glibc ≥ 2.36.',
    );
  }
}

/** Starts the gateway: upload presigning, result intake, WebSocket push, polling, the app. */
export async function startGateway(
  config: GatewayConfig,
  log: Logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }),
): Promise<RunningGateway> {
  assertNativeUws();
  const s3 = createS3Client(config.s3);
  const results = new ResultStore(config.resultTtlSeconds * 1000, config.maxStoredResults);
  const files = await StaticFiles.load(config.publicDir);
  if (files.isEmpty) log.warn({ publicDir: config.publicDir }, 'no built app to serve; run `npm run build`');
  const sockets = new Set<WebSocket<SocketData>>();
  const app = uWS.App();
  const onUnexpected = (error: unknown) => log.error({ err: error }, 'request failed');

  const send = (ws: WebSocket<SocketData>, message: ServerMessage) => {
    if (ws.send(JSON.stringify(message)) === 2)
      log.warn({ remote: ws.getUserData().remote }, 'message dropped: backpressure');
  };

  app.post('/api/uploads', (res, req) => {
    const guard = new ResponseGuard(res);
    const headers = headersOf(req, ['content-length']);
    void (async () => {
      const body = parseJsonBody(await readBody(guard, MAX_API_BODY_BYTES, headers['content-length'] ?? ''));
      const parsed = createUploadRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(
          400,
          'invalid_upload_request',
          `${issue?.path.join('.') || 'body'}: ${issue?.message}`,
        );
      }
      const upload = await createPresignedUpload(s3, parsed.data, {
        bucket: config.bucket,
        ttlSeconds: config.uploadUrlTtlSeconds,
        defaultModel: config.defaultModel,
        tokenSecret: config.uploadTokenSecret,
      });
      guard.json(201, upload);
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/predictions/:uploadId', (res, req) => {
    const uploadId = req.getParameter(0);
    const token = /^Bearer (.+)$/.exec(req.getHeader('authorization'))?.[1] ?? '';
    const guard = new ResponseGuard(res);
    try {
      if (!isUploadId(uploadId)) throw new HttpError(404, 'unknown_upload', 'no such upload');
      if (!token)
        throw new HttpError(
          401,
          'token_required',
          'send the upload token as `Authorization: Bearer <token>`',
        );
      if (!verifyUploadToken(config.uploadTokenSecret, uploadId, token)) {
        throw new HttpError(403, 'wrong_token', 'the token does not belong to this upload');
      }
      const result = results.get(uploadId);
      let status: PredictionStatus;
      if (!result) status = { status: 'pending' };
      else if (result.type === 'prediction') status = { status: 'done', prediction: result.prediction };
      else status = { status: 'failed', error: result.error };
      guard.json(status.status === 'done' ? 200 : status.status === 'pending' ? 202 : 422, status);
    } catch (error) {
      guard.error(error, onUnexpected);
    }
  });

  app.post('/internal/results', (res, req) => {
    const guard = new ResponseGuard(res);
    const headers = headersOf(req, ['content-length', 'x-result-signature']);
    void (async () => {
      const body = await readBody(guard, MAX_API_BODY_BYTES, headers['content-length'] ?? '');
      const { result, outcome } = await ingestResult(
        body,
        headers['x-result-signature'] ?? '',
        config.resultSigningSecret,
        results,
        Date.now() / 1000,
      );
      const uploadId = result.type === 'prediction' ? result.prediction.uploadId : result.error.uploadId;
      let delivered = 0;
      if (outcome !== 'duplicate') {
        const topic = uploadTopic(uploadId);
        delivered = app.numSubscribers(topic);
        app.publish(topic, JSON.stringify(resultMessage(result)));
      }
      log.info({ uploadId, type: result.type, outcome, delivered }, 'result received');
      guard.json(200, { outcome, delivered });
    })().catch((error: unknown) => guard.error(error, onUnexpected));
  });

  app.get('/api/health', (res) => {
    res
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ ok: true, sockets: sockets.size }));
  });

  app.any('/api/*', (res, req) => {
    new ResponseGuard(res).json(404, {
      error: `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`,
      code: 'not_found',
    });
  });

  app.ws<SocketData>('/ws', {
    maxPayloadLength: 4 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    maxBackpressure: 256 * 1024,
    upgrade: (res, req, context) => {
      res.upgrade<SocketData>(
        { remote: Buffer.from(res.getRemoteAddressAsText()).toString() },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      sockets.add(ws);
    },
    message: (ws, raw) => {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        return send(ws, { type: 'rejected', code: 'invalid_json', message: 'messages must be JSON' });
      }
      const parsed = clientMessageSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return send(ws, {
          type: 'rejected',
          code: 'invalid_message',
          message: `${issue?.path.join('.') || 'message'}: ${issue?.message}`,
        });
      }
      const message = parsed.data;
      if (message.type === 'unsubscribe') {
        ws.unsubscribe(uploadTopic(message.uploadId));
        return;
      }
      if (!verifyUploadToken(config.uploadTokenSecret, message.uploadId, message.token)) {
        return send(ws, {
          type: 'rejected',
          uploadId: message.uploadId,
          code: 'wrong_token',
          message: 'the token does not belong to this upload',
        });
      }
      if (ws.getTopics().length >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return send(ws, {
          type: 'rejected',
          uploadId: message.uploadId,
          code: 'too_many_subscriptions',
          message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} uploads per connection`,
        });
      }
      ws.subscribe(uploadTopic(message.uploadId));
      ws.cork(() => {
        send(ws, { type: 'subscribed', uploadId: message.uploadId });
        // A result that arrived before the subscription is delivered now.
        const stored = results.get(message.uploadId);
        if (stored) send(ws, resultMessage(stored));
      });
    },
    close: (ws) => {
      sockets.delete(ws);
    },
  });

  app.get('/*', (res, req) => {
    const file = files.resolve(req.getUrl());
    if (!file) {
      res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain').end('not found');
      return;
    }
    files.serve(res, file, req.getHeader('accept-encoding'), req.getHeader('if-none-match'));
  });

  const { listenSocket, port } = await listen(app, config.bind, config.port);
  log.info({ port, publicDir: config.publicDir, bucket: config.bucket }, 'gateway listening');
  return {
    port,
    url: `http://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${port}`,
    results,
    async close() {
      uWS.us_listen_socket_close(listenSocket);
      for (const ws of sockets) ws.end(1001, 'server shutting down');
      sockets.clear();
      s3.destroy();
    },
  };
}

function listen(
  app: TemplatedApp,
  host: string,
  port: number,
): Promise<{ listenSocket: us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) reject(new Error(`gateway could not listen on ${host}:${port}; is the port taken?`));
      else
        resolve({ listenSocket: socket, port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket) });
    });
  });
}
