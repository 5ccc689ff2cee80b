import uWS, { type TemplatedApp, type us_listen_socket } from '@trufflesuite/uws-js-unofficial';

/** uWS silently falls back to a JS build when its binary does not load; we refuse to run on it. */
export function assertNativeUws(): void {
  if (!/native code/.test(uWS.App.toString())) {
    throw new Error(
      'uWebSockets.js native binary did not load (the JS fallback is active). Reinstall @trufflesuite/uws-js-unofficial on Node 20 / glibc ≥ 2.36.',
    );
  }
}

/** `listen(host, port, options, cb)`: uWS takes it, its types list only `(port, options, cb)`. */
type ListenOnHost = (
  host: string,
  port: number,
  options: number,
  cb: (listenSocket: us_listen_socket | false) => void,
) => TemplatedApp;

/** uWS's LIBUS_LISTEN_EXCLUSIVE_PORT: no SO_REUSEPORT, so a port already taken fails instead of being shared. */
const EXCLUSIVE_PORT = 1;

/**
 * Listens on `host:port` exclusively (0 picks a free port) and resolves with the socket and the port
 * actually bound; rejects, naming `service`, when the port is taken.
 */
export function listenExclusive(
  app: TemplatedApp,
  host: string,
  port: number,
  service: string,
): Promise<{ listenSocket: us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    (app.listen as unknown as ListenOnHost).call(app, host, port, EXCLUSIVE_PORT, (socket) => {
      if (!socket) reject(new Error(`${service} could not listen on ${host}:${port}; is the port taken?`));
      else
        resolve({ listenSocket: socket, port: uWS.us_socket_local_port(socket as unknown as uWS.us_socket) });
    });
  });
}
