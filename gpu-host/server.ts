import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import type { Logger } from 'pino';
import { HttpExchange } from '../platform/http-exchange.ts';
import { assertNativeUws, listenExclusive, uWS } from '../platform/uws.ts';
import { REQUEST_ID_HEADER, requestIdSequence, resolveRequestId } from './request-id.ts';
import { createRoutes, type RequestContext, ROUTE_HEADERS, type RouteDeps, toHttpError } from './routes.ts';

/** The HTTP server and the controls the host needs for a graceful shutdown. */
export interface InferenceServer {
  /** Listens on `port` (0 for a free one) and resolves with the port actually bound. */
  listen(port: number, host: string): Promise<number>;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets every request in flight finish (answers then carry
   * `connection: close`), and resolves once all connections are closed, cutting them after `timeoutMs`.
   */
  shutdown(timeoutMs: number): Promise<void>;
}

export interface InferenceServerDeps extends Omit<RouteDeps, 'shuttingDown'> {
  readonly log: Logger;
}

/**
 * The Open Inference Protocol v2 REST API (`routes.ts`) over uWebSockets.js: request ids, per-request
 * logs and metrics, errors mapped to statuses at the edge, and a graceful shutdown.
 */
export function createInferenceServer(deps: InferenceServerDeps): InferenceServer {
  assertNativeUws();
  const { metrics, log } = deps;
  // Read by every exchange when it answers: once shutting down, answers close their connection.
  const state = { closing: false };
  let inFlight = 0;
  let drained: (() => void) | undefined;
  let listenSocket: us_listen_socket | undefined;
  const nextRequestId = requestIdSequence();
  const routes = createRoutes({ ...deps, shuttingDown: () => state.closing });
  metrics.countInFlight(() => inFlight);
  const app = uWS.App();

  app.any('/*', (res, req) => {
    const started = performance.now();
    const id = resolveRequestId(req.getHeader(REQUEST_ID_HEADER), nextRequestId);
    const exchange = new HttpExchange(res, req, { headers: ROUTE_HEADERS, server: state, requestId: id });
    const ctx: RequestContext = { id, route: 'unknown', model: '' };
    inFlight++;
    let failure: { error: unknown; message: string } | undefined;
    exchange.onDone = () => {
      inFlight--;
      // A client that went away before its answer is counted as node:http did: status 200 unless set.
      const status = exchange.status || 200;
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest(ctx.route, ctx.model, status, seconds);
      if (inFlight === 0) drained?.();
      const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!log.isLevelEnabled(level)) return;
      const fields = {
        reqId: ctx.id,
        method: exchange.method,
        path: exchange.url,
        route: ctx.route,
        model: ctx.model || undefined,
        status,
        ms: Math.round(seconds * 1e4) / 10,
        ...(exchange.aborted ? { aborted: true } : {}),
        ...(failure ? { error: failure.message } : {}),
      };
      if (level === 'error') log.error({ ...fields, err: failure?.error }, 'request failed');
      else if (level === 'info') log.info(fields, 'request refused');
      else log.debug(fields, 'request answered');
    };
    if (exchange.refuseBadFraming()) return;
    routes(exchange, ctx).catch((error: unknown) => {
      const { status, message, code, headers } = toHttpError(error);
      failure = { error, message };
      // Nothing to send to a client that has gone; uWS drops a body left unread.
      exchange.json(status, { error: message, code }, headers);
    });
  });

  return {
    async listen(port, host) {
      const bound = await listenExclusive(app, host, port, 'gpu-host');
      listenSocket = bound.listenSocket;
      return bound.port;
    },
    inFlight: () => inFlight,
    async shutdown(timeoutMs) {
      state.closing = true;
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      if (inFlight > 0) {
        // Requests that arrive meanwhile on connections kept alive are answered too, and close them.
        let deadline: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          drained = resolve;
          deadline = setTimeout(() => {
            log.warn({ inFlight }, 'shutdown timeout: closing connections with requests still in flight');
            closeAll(app);
          }, timeoutMs);
        });
        clearTimeout(deadline);
      }
      // Idle keep-alive connections, and any cut short by the timeout.
      closeAll(app);
    },
  };
}

/** Closes every socket of the app, listening or connected (uWS's `app.close()`, missing from its types). */
function closeAll(app: TemplatedApp): void {
  (app as TemplatedApp & { close(): void }).close();
}
