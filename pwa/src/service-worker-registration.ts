/** Sent on `window` when a new service worker (a new build of the app) has taken over this page. */
export const APP_UPDATED_EVENT = 'pictor:app-updated';

/** How often an open app asks whether a new build is out (browsers also check on every navigation). */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

/**
 * Registers the service worker (pwa/src/sw.ts, built to /sw.js) once the page has loaded, so that
 * its precaching never competes with the first paint; then watches for new builds. A new worker takes
 * over at once (sw.ts skips waiting and claims its clients), and the page hears `APP_UPDATED_EVENT`:
 * the classify page then reads the new model index, so a promoted model reaches a page that stays
 * open, while a classification already running keeps the model it started with.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  // The first install also claims the page; that is not an update (the page has the current build).
  let controlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (controlled) window.dispatchEvent(new Event(APP_UPDATED_EVENT));
    controlled = true;
  });
  const register = async () => {
    try {
      const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      watchForUpdates(registration);
    } catch (error) {
      console.warn('service worker: registration failed; the app works online only', error);
    }
  };
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}

/** Asks for a new build every hour and whenever the app comes back to the foreground. */
function watchForUpdates(registration: ServiceWorkerRegistration): void {
  const check = () => {
    if (!navigator.onLine) return;
    registration
      .update()
      .catch((error: unknown) => console.info('service worker: update check failed', error));
  };
  setInterval(check, UPDATE_CHECK_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
}
