/**
 * The service worker: precaches the app shell, the inference worker, onnxruntime-web's WASM and the
 * bundled models (the list is injected at build time by vite-plugin-pwa), answers navigations with the
 * cached app offline, and sends queued uploads and labels when Background Sync says the network is back.
 */
import './zod-without-eval.ts';
import { clientsClaim } from 'workbox-core';
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  matchPrecache,
  type PrecacheEntry,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';
import { putObjectWithFetch } from './api/put-object.ts';
import { LARGE_FILES_CACHE } from './cache-names.ts';
import { BUNDLED_MODELS_URL } from './models/bundled-models.ts';
import { getItem, itemsSince, pendingItems, updateItem } from './store/item-store.ts';
import { runSync } from './sync/sync-engine.ts';
import { SYNC_TAG } from './sync/sync-names.ts';
import { createTransport } from './sync/transport.ts';

/** Background Sync's event; not in TypeScript's lib yet. */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<PrecacheEntry | string>;
  addEventListener(type: 'sync', listener: (event: SyncEvent) => void): void;
};

// A new version takes over at once: the app keeps no state in memory that an old worker must finish.
self.addEventListener('install', () => void self.skipWaiting());
clientsClaim();

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Any in-app address opens the cached app; the API and the WebSocket are never answered from cache.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//, /^\/ws/] }),
);

// onnxruntime's WASM and the models: megabytes, so not precached at install (the page's worker is
// downloading them at the same time on a first visit); cached here as they are fetched, or when the page
// asks (Workbox's CACHE_URLS message, sent by pwa/src/offline-files.ts once the model has loaded).
registerRoute(
  ({ url }) =>
    url.origin === self.location.origin &&
    (/^\/assets\/[^/]+\.wasm$/.test(url.pathname) ||
      /^\/models\/[^/]+\/[^/]+\/model\.onnx$/.test(url.pathname)),
  new CacheFirst({ cacheName: LARGE_FILES_CACHE }),
);

// A new build may bundle other model versions (a promotion, a rollback): once it is active, the models
// the old build cached and the new one does not ship are dropped (a page still on the old build that
// needs one fetches it again; the gateway keeps the previous build's files for that).
self.addEventListener('activate', (event) => {
  event.waitUntil(
    pruneModels().catch((error: unknown) =>
      console.warn('service worker: could not prune old models', error),
    ),
  );
});

async function pruneModels(): Promise<void> {
  const index = await matchPrecache(BUNDLED_MODELS_URL);
  if (!index) return;
  const { models } = (await index.json()) as { models?: Array<{ modelUrl?: unknown }> };
  if (!Array.isArray(models)) return;
  const keep = new Set(
    models.flatMap((m) =>
      typeof m.modelUrl === 'string' ? [new URL(m.modelUrl, self.location.origin).href] : [],
    ),
  );
  const cache = await caches.open(LARGE_FILES_CACHE);
  for (const request of await cache.keys()) {
    const { pathname } = new URL(request.url);
    if (/^\/models\/[^/]+\/[^/]+\/model\.onnx$/.test(pathname) && !keep.has(request.url))
      await cache.delete(request);
  }
}

// The models the host serves: fresh when online, the last list seen when not.
registerRoute(
  ({ url, request }) =>
    url.origin === self.location.origin && url.pathname === '/api/models' && request.method === 'GET',
  new NetworkFirst({ cacheName: 'pictor-model-list', networkTimeoutSeconds: 4 }),
);

const transport = createTransport((ticket, body, signal) => putObjectWithFetch(ticket, body, signal));

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    runSync({ store: { getItem, pendingItems, itemsSince, updateItem }, transport }).then((report) => {
      // Rejecting asks the browser to fire the sync again later (with backoff) while work is left.
      if (report.remaining > 0 && !event.lastChance) {
        throw new Error(`sync: ${report.remaining} items still to send${report.offline ? ' (offline)' : ''}`);
      }
    }),
  );
});
