import { type Logger, pino } from 'pino';
import { resultUploadId } from '../contracts/results.ts';
import { HttpExchange, methodNotAllowed } from '../platform/http-exchange.ts';
import { RouteMethods } from '../platform/route-methods.ts';
import { createS3Client, type S3Timeouts } from '../platform/s3-client.ts';
import { API_SECURITY_HEADERS } from '../platform/security-headers.ts';
import { assertNativeUws, listenExclusive, uWS } from '../platform/uws.ts';
import type { GatewayConfig } from './config.ts';
import type { GatewayContext } from './gateway-context.ts';
import { registerLabelRoutes } from './label-routes.ts';
import { ModelCatalogue } from './model-catalogue.ts';
import { registerModelHistoryRoutes } from './model-history-routes.ts';
import { registerModelRoutes } from './model-routes.ts';
import { OutcomeLookup } from './outcome-lookup.ts';
import { PublicationLog } from './publication-log.ts';
import { redactRedisUrl } from './redis-connection.ts';
import { registerReportRoutes } from './report-routes.ts';
import { createResultRelay, type ResultRelay } from './result-relay.ts';
import { registerResultRoutes } from './result-routes.ts';
import { appSecurityHeaders, uploadOrigin } from './security-headers.ts';
import { resultMessage, uploadTopic } from './server-messages.ts';
import { registerSocketRoutes } from './socket-routes.ts';
import { StaticFiles } from './static-files.ts';
import { registerUploadRoutes } from './upload-routes.ts';

export interface RunningGateway {
  readonly port: number;
  readonly url: string;
  /** Results and how they reach every gateway: in memory, or shared through Redis (REDIS_URL). */
  readonly results: ResultRelay;
  /** Stops listening, closes every WebSocket (code 1001), resolves when done. */
  close(): Promise<void>;
}

/** How often the gateway checks whether the app in PUBLIC_DIR was rebuilt (two stat calls). */
const APP_RELOAD_CHECK_MS = 2_000;

/** A label write or report read waits seconds for S3, never minutes (one retry by the SDK). */
const GATEWAY_S3_TIMEOUTS: S3Timeouts = {
  connectionTimeoutMs: 2_000,
  requestTimeoutMs: 10_000,
  maxAttempts: 2,
};

/** Starts the gateway: presigning, result intake, WebSocket push, polling, labels, reports, the app. */
export async function startGateway(
  config: GatewayConfig,
  log: Logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }),
): Promise<RunningGateway> {
  assertNativeUws();
  const files = await StaticFiles.load(
    config.publicDir,
    appSecurityHeaders([uploadOrigin(config.s3, config.bucket)]),
  );
  if (files.isEmpty) log.warn({ publicDir: config.publicDir }, 'no built app to serve; run `npm run build`');
  // Every route registered through it refuses untrustworthy framing; the fallbacks answer 405 from it.
  const routes = new RouteMethods(uWS.App());
  const { app } = routes;
  const s3 = createS3Client(config.s3, GATEWAY_S3_TIMEOUTS);
  const results = createResultRelay({
    redisUrl: config.redisUrl,
    ttlMs: config.resultTtlSeconds * 1000,
    maxResults: config.maxStoredResults,
    maxErrors: config.maxStoredErrors,
    onInvalid: (reason) => log.warn({ reason }, 'ignored a message on the result channel'),
    onRedisError: (error) => log.warn({ err: error }, 'Redis connection error'),
  });
  const pushes = new PublicationLog();
  // Every result any gateway takes in (this one's included) reaches this gateway's subscribers here.
  try {
    await results.start((result) => {
      const uploadId = resultUploadId(result);
      pushes.record(uploadId);
      app.publish(uploadTopic(uploadId), JSON.stringify(resultMessage(result)));
    });
  } catch (error) {
    // Without this, ioredis would keep reconnecting and hold the process open.
    await results.close().catch(() => {});
    s3.destroy();
    throw error;
  }
  if (config.redisUrl) log.info({ redis: redactRedisUrl(config.redisUrl) }, 'sharing results through Redis');
  const context: GatewayContext = {
    app,
    config,
    s3,
    results,
    pushes,
    models: new ModelCatalogue(config.inferenceUrl, config.defaultModel),
    outcomes: new OutcomeLookup(s3, config.bucket, results, log),
    log,
    onUnexpected: (error) => log.error({ err: error }, 'request failed'),
  };

  registerUploadRoutes(context);
  registerResultRoutes(context);
  registerLabelRoutes(context);
  registerReportRoutes(context);
  registerModelRoutes(context);
  registerModelHistoryRoutes(context);
  const sockets = registerSocketRoutes(context);

  app.get('/api/health', (res) => {
    new HttpExchange(res).json(200, { ok: true, sockets: sockets.size });
  });
  app.any('/api/*', (res, req) => {
    const exchange = new HttpExchange(res, req);
    const allowed = routes.allowed(exchange.path);
    if (allowed.length > 0) {
      exchange.error(methodNotAllowed(exchange.method, exchange.path, allowed), context.onUnexpected);
      return;
    }
    exchange.json(404, { error: `no route for ${exchange.method} ${exchange.path}`, code: 'not_found' });
  });
  app.get('/*', (res, req) => {
    const file = files.resolve(req.getUrl());
    if (!file) {
      res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain');
      for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) res.writeHeader(name, value);
      res.end('not found');
      return;
    }
    files.serve(res, file, req.getHeader('accept-encoding'), req.getHeader('if-none-match'));
  });
  // The app's files take GET only (uWS would close the connection on other methods without an answer).
  app.any('/*', (res, req) => {
    const exchange = new HttpExchange(res, req);
    exchange.error(methodNotAllowed(exchange.method, exchange.path, ['GET']), context.onUnexpected);
  });

  const { listenSocket, port } = await listenExclusive(app, config.bind, config.port, 'gateway').catch(
    async (error: unknown) => {
      await results.close().catch(() => {});
      s3.destroy();
      throw error;
    },
  );
  // A rebuilt app (a promotion ships its model in a new build) is served without a restart.
  const stopWatching = files.watch(
    APP_RELOAD_CHECK_MS,
    (count) => log.info({ publicDir: config.publicDir, files: count }, 'serving a new build of the app'),
    (error) =>
      log.warn({ err: error, publicDir: config.publicDir }, 'could not check the app build for changes'),
  );
  log.info({ port, publicDir: config.publicDir, bucket: config.bucket }, 'gateway listening');
  return {
    port,
    url: `http://${config.bind === '0.0.0.0' ? '127.0.0.1' : config.bind}:${port}`,
    results: context.results,
    async close() {
      stopWatching();
      uWS.us_listen_socket_close(listenSocket);
      for (const ws of sockets) ws.end(1001, 'server shutting down');
      sockets.clear();
      await results.close();
      context.s3.destroy();
    },
  };
}
