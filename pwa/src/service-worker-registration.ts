/**
 * Registers the service worker (pwa/src/sw.ts, built to /sw.js) once the page has loaded, so that
 * its precaching (onnxruntime's WASM, the models) never competes with the first paint.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const register = () =>
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => {
      console.warn('service worker: registration failed; the app works online only', error);
    });
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}
