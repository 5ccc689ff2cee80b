import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';

/** A photo-like JPEG of a handwritten 7 (made by test/fixtures/make-digit-photo.ts). */
export const DIGIT_PHOTO = fileURLToPath(new URL('../fixtures/digit-photo.jpg', import.meta.url));

/** Waits until the service worker is active, its precache complete, and it controls the page. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  // `ready` resolves once a worker is active, i.e. after its install step (the precache) succeeded.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  // clients.claim() then hands it this page.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
    polling: 100,
  });
  // The WASM and the models are cached at run time, once the device model has loaded (offline-files.ts).
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const keys = await (await caches.open('pictor-large-files')).keys();
          return keys.some((r) => r.url.endsWith('.wasm')) && keys.some((r) => r.url.endsWith('.onnx'));
        }),
      { timeout: 60_000, message: 'the service worker never cached the WASM and the models' },
    )
    .toBe(true);
}

/** Chooses `file` through the "Choose an image" input (no camera capture). */
export async function chooseImage(page: Page, file: string): Promise<void> {
  await page.getByLabel('Choose an image').setInputFiles(file);
}

/** Waits for the on-device verdict and returns its label. */
export async function deviceVerdict(page: Page): Promise<string> {
  await expect(page.getByTestId('device-verdict-label')).toBeVisible();
  return (await page.getByTestId('device-verdict-label').textContent()) ?? '';
}

/** Taps the label `label` (the "Yes" button when it is the verdict shown) and waits until it is stored. */
export async function giveLabel(page: Page, label: string): Promise<void> {
  const shown = await page.getByTestId('verdict-label').textContent();
  if (shown === label) await page.getByTestId('label-confirm').click();
  else await page.locator(`[data-testid="label-option"][data-label="${label}"]`).click();
  await expect(page.getByTestId('label-status')).not.toHaveAttribute('data-status', 'none');
}

/** The History page's entries, as the data attributes show them. */
export async function historyEntries(page: Page) {
  await page.getByTestId('nav-history').click();
  await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
  const items = page.getByTestId('history-item');
  return items.evaluateAll((elements) =>
    elements.map((e) => ({
      itemId: e.getAttribute('data-item-id') ?? '',
      labelId: e.getAttribute('data-label-id'),
      labelStatus: e.getAttribute('data-label-status'),
      uploadId: e.getAttribute('data-upload-id'),
      uploadStatus: e.getAttribute('data-upload-status'),
      sync: e.getAttribute('data-sync'),
      label: e.querySelector('[data-testid="history-label"]')?.textContent ?? null,
      device: e.querySelector('[data-testid="history-device-label"]')?.textContent ?? null,
    })),
  );
}
