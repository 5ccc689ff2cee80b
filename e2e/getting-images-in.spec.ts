import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { expect, test } from './stack-fixture.ts';
import { DIGIT_PHOTO } from './support/app-page.ts';

/** A DataTransfer in the page holding the digit photo as a File. */
async function photoTransfer(page: Page) {
  const base64 = (await readFile(DIGIT_PHOTO)).toString('base64');
  return page.evaluateHandle((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], 'digit.jpg', { type: 'image/jpeg' }));
    return transfer;
  }, base64);
}

test('classifies an image dropped on the page', async ({ page }) => {
  await page.goto('/');
  const dataTransfer = await photoTransfer(page);

  await page.locator('.view--classify').dispatchEvent('dragover', { dataTransfer });
  await page.locator('.view--classify').dispatchEvent('drop', { dataTransfer });

  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
});

test('classifies an image pasted into the page', async ({ page }) => {
  await page.goto('/');
  const dataTransfer = await photoTransfer(page);
  await expect(page.getByLabel('Model')).toHaveValue('digits');

  await page.evaluate((clipboardData) => {
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
  }, dataTransfer);

  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
});

test('an upload cut off by the network restarts by itself, and the server verdict still arrives', async ({
  page,
  context,
}) => {
  let puts = 0;
  // The first PUT to S3 dies mid-way (page or service worker, whoever sends it); later ones go through.
  await context.route(
    (url) => url.pathname.includes('/uploads/'),
    async (route) => {
      if (route.request().method() === 'PUT' && puts++ === 0) return route.abort('connectionreset');
      return route.continue();
    },
  );
  await page.goto('/');

  await page.getByLabel('Choose an image').setInputFiles(DIGIT_PHOTO);

  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('7', { timeout: 30_000 });
  expect(puts).toBeGreaterThanOrEqual(2);
  await page.getByTestId('nav-history').click();
  await expect(page.getByTestId('history-item')).toHaveAttribute('data-upload-status', 'uploaded');
});

test('respects EXIF orientation: a photo stored sideways and tagged to be turned upright reads as 7', async ({
  page,
}, testInfo) => {
  // Pixels turned a quarter anticlockwise; EXIF orientation 6 tells viewers to turn them back clockwise.
  const sideways = testInfo.outputPath('sideways-7.jpg');
  await sharp(DIGIT_PHOTO)
    .rotate(270)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 90 })
    .toFile(sideways);
  expect((await sharp(sideways).metadata()).orientation).toBe(6);
  await page.goto('/');

  await page.getByLabel('Choose an image').setInputFiles(sideways);

  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('7');
});
