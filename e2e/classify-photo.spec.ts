import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, test } from './stack-fixture.ts';

/** A photo-like JPEG of a handwritten 7 (made by test/fixtures/make-digit-photo.ts). */
const DIGIT_PHOTO = fileURLToPath(new URL('./fixtures/digit-photo.jpg', import.meta.url));
const NOT_AN_IMAGE_MESSAGE = "This file isn't an image we can read. Try a JPEG or PNG photo.";

/** Records the URLs of the page's requests whose path starts with `prefix`. */
function requestsTo(page: Page, prefix: string): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith(prefix)) seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

test('shows the verdict for a photo of a handwritten 7, pushed over the WebSocket', async ({ page }) => {
  const polls = requestsTo(page, '/api/predictions/');
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();

  const startedAt = Date.now();
  await page.getByLabel('Take a photo or choose an image').setInputFiles(DIGIT_PHOTO);

  await expect(page.getByTestId('preview')).toBeVisible();
  await expect(page.getByTestId('verdict-label')).toHaveText('7');
  const observedMs = Date.now() - startedAt;
  await expect(page.getByTestId('verdict-confidence')).toHaveText(/\d\s?%/);
  await expect(page.getByTestId('verdict-topk')).toHaveCount(3);
  await expect(page.getByTestId('verdict-topk').first()).toContainText('7');
  const verdict = page.getByTestId('verdict');
  await expect(verdict).toHaveAttribute('data-channel', 'websocket');
  expect(polls, 'the page should not have needed the polling fallback').toEqual([]);

  const inPageMs = await verdict.getAttribute('data-elapsed-ms');
  const timing = `choose → verdict on screen: ${inPageMs} ms in the page, ${observedMs} ms seen by the test`;
  test.info().annotations.push({ type: 'timing', description: timing });
  console.log(timing);
});

test('falls back to polling for the verdict when the WebSocket keeps dropping', async ({ page }) => {
  await page.routeWebSocket(/\/ws$/, (socket) =>
    socket.close({ code: 1011, reason: 'test: gateway socket down' }),
  );
  const polls = requestsTo(page, '/api/predictions/');
  await page.goto('/');

  await page.getByLabel('Take a photo or choose an image').setInputFiles(DIGIT_PHOTO);

  await expect(page.getByTestId('verdict-label')).toHaveText('7', { timeout: 20_000 });
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-channel', 'polling');
  expect(polls.length).toBeGreaterThan(0);
});

test('says plainly that a non-image file cannot be read, without uploading it', async ({
  page,
}, testInfo) => {
  const notAnImage = testInfo.outputPath('holiday.png');
  await writeFile(notAnImage, 'this is a text file, not a PNG\n');
  const uploads = requestsTo(page, '/api/uploads');
  await page.goto('/');

  await page.getByLabel('Take a photo or choose an image').setInputFiles(notAnImage);

  await expect(page.getByTestId('error')).toContainText(NOT_AN_IMAGE_MESSAGE);
  await expect(page.getByTestId('preview')).toHaveCount(0);
  await expect(page.getByLabel('Classify another photo')).toBeAttached();
  expect(uploads).toEqual([]);
});

test('says plainly that the server could not read a file that only starts like an image', async ({
  page,
}, testInfo) => {
  // PNG magic bytes, then garbage: the browser's check passes, the server's decoder refuses it.
  const fakePng = testInfo.outputPath('broken.png');
  await writeFile(fakePng, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(256, 7)]));
  await page.goto('/');

  await page.getByLabel('Take a photo or choose an image').setInputFiles(fakePng);

  await expect(page.getByTestId('error')).toContainText(NOT_AN_IMAGE_MESSAGE);
  await expect(page.getByTestId('verdict-label')).toHaveCount(0);
});
