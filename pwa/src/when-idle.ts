/**
 * Runs `task` once the page has loaded and the main thread is idle: start-up work (IndexedDB, zod, the
 * sync engine, the model) stays out of the first paint and of the first interaction's way
 * (Lighthouse's total blocking time on a phone).
 */
export function whenIdle(task: () => void, timeoutMs = 3_000): void {
  const idle = () =>
    'requestIdleCallback' in window
      ? requestIdleCallback(() => task(), { timeout: timeoutMs })
      : setTimeout(task, 500);
  if (document.readyState === 'complete') idle();
  else window.addEventListener('load', idle, { once: true });
}
