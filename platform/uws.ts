import { createRequire } from 'node:module';
import type { TemplatedApp, us_listen_socket, us_socket } from '@trufflesuite/uws-js-unofficial';

type Uws = typeof import('@trufflesuite/uws-js-unofficial');

/**
 * The uWebSockets.js builds, in order of preference; both are installed and share one API, and the
 * first whose native binary loads is used. `@btc-vision/uwebsockets.js` has binaries for Node 20, 22,
 * 24 and 25 (ABI 115/127/137/141) but needs glibc ≥ 2.38: it runs in AWS (Node 24 on Ubuntu 24.04).
 * `@trufflesuite/uws-js-unofficial` has them for Node ≤ 20 only and needs glibc ≥ 2.27: it runs on
 * Debian 12 development machines and CI (glibc 2.36). This file is the one import of either.
 */
export const UWS_BUILDS = ['@btc-vision/uwebsockets.js', '@trufflesuite/uws-js-unofficial'] as const;

const isNative = (candidate: Uws) => /native code/.test(candidate.App.toString());

function loadUws(): { readonly uWS: Uws; readonly build: string; readonly refused: readonly string[] } {
  const require = createRequire(import.meta.url);
  const refused: string[] = [];
  for (const build of UWS_BUILDS) {
    try {
      const candidate = require(build) as Uws;
      if (isNative(candidate)) return { uWS: candidate, build, refused };
      refused.push(`${build}: only its JS fallback loaded`);
      // The last build's fallback stays, so that assertNativeUws can say what went wrong.
      if (build === UWS_BUILDS.at(-1)) return { uWS: candidate, build, refused };
    } catch (error) {
      // The last line says why (e.g. GLIBC_2.38 not found); the first is the package's generic notice.
      refused.push(
        `${build}: ${String((error as Error).message)
          .trim()
          .split('\n')
          .at(-1)}`,
      );
    }
  }
  throw new Error(`no uWebSockets.js build loads here (Node ${process.version}): ${refused.join('; ')}`);
}

const loaded = loadUws();
/** The uWebSockets.js module in use; `uwsBuild` names which build it is. */
export const uWS: Uws = loaded.uWS;
export const uwsBuild: string = loaded.build;

/** uWS silently falls back to a JS build when its binary does not load; we refuse to run on it. */
export function assertNativeUws(): void {
  if (!isNative(uWS)) {
    throw new Error(
      `uWebSockets.js native binary did not load (Node ${process.version}, ABI ${process.versions.modules}): ${loaded.refused.join('; ')}. Use Node 24 on glibc ≥ 2.38 (@btc-vision/uwebsockets.js) or Node 20 (@trufflesuite/uws-js-unofficial).`,
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
      else resolve({ listenSocket: socket, port: uWS.us_socket_local_port(socket as unknown as us_socket) });
    });
  });
}
