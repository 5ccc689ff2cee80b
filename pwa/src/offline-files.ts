/**
 * onnxruntime's WASM and the models are megabytes: they are not in the service worker's install-time
 * precache (which would download them a second time, beside the worker's own download, on a first
 * visit). The service worker caches them at run time (cache-first) instead, and once the device model
 * has loaded and the page is idle, the page asks it to cache whatever it has not seen yet, so that the
 * app works offline from then on. The request is Workbox's own `CACHE_URLS` message.
 */
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

/** Asks the service worker to cache onnxruntime's WASM and `modelUrls` for offline use. */
export async function cacheForOffline(modelUrls: readonly string[]): Promise<void> {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const registration = await navigator.serviceWorker.ready;
  const worker = navigator.serviceWorker.controller ?? registration.active;
  if (!worker) return;
  const { port1, port2 } = new MessageChannel();
  const done = new Promise<void>((resolve) => {
    port1.onmessage = () => resolve();
  });
  worker.postMessage({ type: 'CACHE_URLS', payload: { urlsToCache: [ortWasmUrl, ...modelUrls] } }, [port2]);
  await done;
}
