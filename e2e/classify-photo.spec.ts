import { writeFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './stack-fixture.ts';
import { chooseImage, DIGIT_PHOTO } from './support/app-page.ts';

const NOT_AN_IMAGE_MESSAGE = "This file isn't an image we can read. Try a JPEG or PNG photo.";

/** Records the URLs of the page's requests whose path starts with `prefix`. */
function requestsTo(page: Page, prefix: string): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith(prefix)) seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

test('shows the on-device verdict for a photo of a 7 at once, then the server confirms it over the WebSocket', async ({
  page,
}) => {
  const polls = requestsTo(page, '/api/predictions/');
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByLabel('Model')).toHaveValue('digits');

  const startedAt = Date.now();
  await chooseImage(page, DIGIT_PHOTO);

  await expect(page.getByTestId('preview')).toBeVisible();
  const verdict = page.getByTestId('verdict');
  // The device answers first (the server has not yet: the upload only starts once the image is stored).
  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
  const deviceMs = Date.now() - startedAt;
  await expect(page.getByTestId('verdict-label')).toHaveText('7');

  await expect(verdict).toHaveAttribute('data-source', 'server');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('7');
  const serverMs = Date.now() - startedAt;
  await expect(verdict).toHaveAttribute('data-agreement', 'agree');
  await expect(page.getByTestId('verdict-source')).toContainText('Confirmed by the server');
  await expect(page.getByTestId('verdict-confidence')).toHaveText(/\d\s?%/);
  await expect(page.getByTestId('verdict-topk')).toHaveCount(3);
  await expect(page.getByTestId('verdict-topk').first()).toContainText('7');
  await expect(verdict).toHaveAttribute('data-channel', 'websocket');
  await expect(page.getByTestId('announcer')).toHaveText(/The server agrees: 7/);
  expect(polls, 'the page should not have needed the polling fallback').toEqual([]);

  const inPage = `${await verdict.getAttribute('data-device-elapsed-ms')} ms on the device, ${await verdict.getAttribute('data-elapsed-ms')} ms the server`;
  const timing = `choose → verdict on screen: ${inPage} (in the page); ${deviceMs} / ${serverMs} ms seen by the test`;
  test.info().annotations.push({ type: 'timing', description: timing });
  console.log(timing);
});

test('falls back to polling for the server verdict when the WebSocket keeps dropping', async ({ page }) => {
  await page.routeWebSocket(/\/ws$/, (socket) =>
    socket.close({ code: 1011, reason: 'test: gateway socket down' }),
  );
  const polls = requestsTo(page, '/api/predictions/');
  await page.goto('/');

  await chooseImage(page, DIGIT_PHOTO);

  await expect(page.getByTestId('server-verdict-label')).toHaveText('7', { timeout: 20_000 });
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

  await chooseImage(page, notAnImage);

  await expect(page.getByTestId('error')).toContainText(NOT_AN_IMAGE_MESSAGE);
  await expect(page.getByTestId('preview')).toHaveCount(0);
  await expect(page.getByLabel('Choose an image')).toBeAttached();
  expect(uploads).toEqual([]);
});

test('says plainly that a file that only starts like an image cannot be read, without uploading it', async ({
  page,
}, testInfo) => {
  // PNG magic bytes, then garbage: the byte sniffing passes, the device's decoder refuses it.
  const fakePng = testInfo.outputPath('broken.png');
  await writeFile(fakePng, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(256, 7)]));
  const uploads = requestsTo(page, '/api/uploads');
  await page.goto('/');

  await chooseImage(page, fakePng);

  await expect(page.getByTestId('error')).toContainText(NOT_AN_IMAGE_MESSAGE);
  await expect(page.getByTestId('verdict-label')).toHaveCount(0);
  expect(uploads).toEqual([]);
});
