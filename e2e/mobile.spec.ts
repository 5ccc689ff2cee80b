import { devices } from '@playwright/test';
import { expect, test } from './stack-fixture.ts';
import { DIGIT_PHOTO, historyEntries } from './support/app-page.ts';

// Pixel 7: 412 × 915 CSS pixels, touch, mobile user agent (Chromium either way).
const { defaultBrowserType: _chromium, ...pixel7 } = devices['Pixel 7'];
test.use(pixel7);

/** True when the page is no wider than the screen (no sideways scrolling). */
const fitsWidth = () => document.documentElement.scrollWidth <= window.innerWidth;

test('on a Pixel 7: take a photo, read both verdicts, confirm with one tap, see it sent in History', async ({
  page,
}) => {
  await page.goto('/');
  expect(await page.evaluate(fitsWidth)).toBe(true);
  await expect(page.getByLabel('Take a photo')).toHaveAttribute('capture', 'environment');
  await expect(page.getByLabel('Choose an image')).not.toHaveAttribute('capture', /.*/);

  // What the camera would hand back; the input is the same one the "Take a photo" button opens.
  await page.getByLabel('Take a photo').setInputFiles(DIGIT_PHOTO);
  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('7');
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-agreement', 'agree');
  expect(await page.evaluate(fitsWidth)).toBe(true);

  await page.getByTestId('label-confirm').tap();
  await expect(page.getByTestId('label-status')).toHaveAttribute('data-status', 'sent');
  await expect(page.getByTestId('label-confirm')).toHaveAttribute('aria-pressed', 'true');

  const [entry] = await historyEntries(page);
  expect(entry).toMatchObject({ label: '7', labelStatus: 'sent', uploadStatus: 'uploaded', device: '7' });
  expect(await page.evaluate(fitsWidth)).toBe(true);

  // The narrowest phones we support.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByTestId('nav-classify').tap();
  expect(await page.evaluate(fitsWidth)).toBe(true);
});
