import type { HttpRequest, HttpResponse, TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { contentLengthProblem, HttpExchange } from './http-exchange.ts';

type Handler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

/** uWS's registration methods and the HTTP method each serves. */
const REGISTRARS: Readonly<Record<string, string>> = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  del: 'DELETE',
  patch: 'PATCH',
  options: 'OPTIONS',
  head: 'HEAD',
  connect: 'CONNECT',
  trace: 'TRACE',
};

interface Route {
  readonly segments: readonly string[];
  readonly method: string;
}

/**
 * The routes an app registers, for its fallback to answer a known path asked with a method it does
 * not take with 405 and `Allow` (not 404). `app` is the uWS app to register on through: every
 * handler registered on it is recorded, and first refuses a request whose framing cannot be trusted
 * (a duplicate or malformed Content-Length) with 400, closing the connection. Route files stay
 * unaware of both.
 */
export class RouteMethods {
  private readonly routes: Route[] = [];
  readonly app: TemplatedApp;

  constructor(inner: TemplatedApp) {
    this.app = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        const method = typeof property === 'string' ? REGISTRARS[property] : undefined;
        if (typeof value !== 'function') return value;
        // uWS's native methods need the app itself as `this`, not the proxy.
        if (method === undefined) return value.bind(target);
        return (pattern: string, handler: Handler) => {
          this.routes.push({ segments: pattern.split('/'), method });
          (value as (p: string, h: Handler) => TemplatedApp).call(target, pattern, framed(handler));
          return this.app;
        };
      },
    });
  }

  /**
   * The methods registered for a path, the catch-all `/*` left out (it would claim every path).
   * Empty when no route knows the path. (`any` routes are fallbacks and not recorded.)
   */
  allowed(path: string): string[] {
    const segments = path.split('/');
    const methods = new Set<string>();
    for (const route of this.routes) {
      if (route.segments.length === 2 && route.segments[1] === '*') continue;
      if (matches(route.segments, segments)) methods.add(route.method);
    }
    return [...methods].sort();
  }
}

/** uWS pattern matching: `:name` takes one non-empty segment, a final `*` the rest. */
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === '*' && i === pattern.length - 1) return true;
    const s = path[i];
    if (s === undefined) return false;
    if (p.startsWith(':') ? s === '' : p !== s) return false;
  }
  return pattern.length === path.length;
}

function framed(handler: Handler): Handler {
  return (res, req) => {
    if (contentLengthProblem(req) !== undefined) {
      new HttpExchange(res, req).refuseBadFraming();
      return;
    }
    return handler(res, req);
  };
}
