import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { SYNC_LOCK, SYNC_TAG } from '../pwa/src/sync/sync-names.ts';
import { expect, test } from './stack-fixture.ts';
import {
  chooseImage,
  DIGIT_PHOTO,
  giveLabel,
  historyEntries,
  waitForServiceWorker,
} from './support/app-page.ts';
import { writeMnistPng } from './support/mnist-images.ts';
import { readLabelRecords, readUpload, uploadExists } from './support/s3-objects.ts';

/** Classifies `file` on the device (offline) and gives `label`; returns the device's verdict. */
async function classifyAndLabel(page: Page, file: string, label: string): Promise<string> {
  await page.getByTestId('nav-classify').click();
  await chooseImage(page, file);
  const device = page.getByTestId('device-verdict-label');
  await expect(device).toBeVisible();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-source', 'device');
  await expect(page.getByTestId('upload-status')).toHaveAttribute('data-status', 'queued');
  await giveLabel(page, label);
  await expect(page.getByTestId('label-status')).toContainText("sent when you're back online");
  return (await device.textContent()) ?? '';
}

test('classifies and labels three images offline, keeps them across reloads, and sends each label to S3 exactly once', async ({
  page,
  context,
  stack,
}, testInfo) => {
  test.setTimeout(120_000);
  const three = await writeMnistPng(testInfo.outputDir, 3, 0);
  const two = await writeMnistPng(testInfo.outputDir, 2, 1);

  // First visit, online: the service worker precaches the app, onnxruntime's WASM and the models.
  await page.goto('/');
  await waitForServiceWorker(page);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('offline-banner')).toBeVisible();

  expect(await classifyAndLabel(page, DIGIT_PHOTO, '7')).toBe('7');
  await page.reload();
  expect(await historyEntries(page)).toMatchObject([{ label: '7', labelStatus: 'pending', sync: 'pending' }]);

  expect(await classifyAndLabel(page, three, '3')).toBe('3');
  // The third is labelled with what the test knows it is, whatever the device said.
  await classifyAndLabel(page, two, '2');
  await page.reload();

  const queued = await historyEntries(page);
  expect(queued).toHaveLength(3);
  expect(queued.map((e) => e.label)).toEqual(['2', '3', '7']);
  for (const entry of queued) {
    expect(entry).toMatchObject({
      labelStatus: 'pending',
      uploadStatus: 'waiting',
      sync: 'pending',
      uploadId: null,
    });
  }
  const labelIds = queued.map((e) => e.labelId as string);
  expect(new Set(labelIds).size).toBe(3);
  await expect(page.getByTestId('pending-badge')).toContainText('3');
  const ours = async () => (await readLabelRecords(stack)).filter((r) => labelIds.includes(r.labelId));
  expect(await ours()).toEqual([]);

  // Back online: Background Sync (service worker) and the page's `online` handler both try; the lock
  // lets one of them send, the other finds nothing left.
  await context.setOffline(false);
  await expect.poll(async () => (await ours()).length, { timeout: 30_000 }).toBe(3);
  await expect(page.getByTestId('history-summary')).toHaveAttribute('data-waiting', '0');
  // Both senders have finished: the sync tag is answered and nobody holds or waits for the sync lock.
  // A second send, had there been one, has landed by then.
  await expect.poll(() => syncAtRest(page), { timeout: 30_000 }).toBe(true);

  const records = await ours();
  expect(records.map((r) => r.labelId).sort()).toEqual([...labelIds].sort());
  const sent = await historyEntries(page);
  for (const entry of sent) {
    expect(entry).toMatchObject({ labelStatus: 'sent', uploadStatus: 'uploaded', sync: 'done' });
    const record = records.find((r) => r.labelId === entry.labelId);
    expect(record, `label ${entry.labelId}`).toMatchObject({ uploadId: entry.uploadId, label: entry.label });
    expect(record?.device?.model).toBe('digits');
    expect(await uploadExists(stack, entry.uploadId as string), `upload ${entry.uploadId}`).toBe(true);
  }
  await expect(page.getByTestId('pending-badge')).toHaveCount(0);

  // The 1200 × 900 photo went up scaled down on the device (long side 1024, JPEG); the small PNGs as they were.
  const photo = sent.find((e) => e.label === '7');
  const upload = await readUpload(stack, photo?.uploadId as string);
  expect(upload.contentType).toBe('image/jpeg');
  expect(await sharp(upload.bytes).metadata()).toMatchObject({ width: 1024, height: 768, format: 'jpeg' });
  const mnist = sent.find((e) => e.label === '3');
  expect((await readUpload(stack, mnist?.uploadId as string)).contentType).toBe('image/png');
});

test('with the app closed, Background Sync sends a label queued offline once the network returns', async ({
  context,
  stack,
}) => {
  test.setTimeout(90_000);
  const page = await context.newPage();
  await page.goto('/');
  await waitForServiceWorker(page);
  await context.setOffline(true);
  await page.reload();
  await classifyAndLabel(page, DIGIT_PHOTO, '7');
  const [entry] = await historyEntries(page);
  const labelId = entry?.labelId as string;
  await page.close();

  // No page is left to notice `online`: only the service worker's sync event can send it.
  expect(context.pages()).toHaveLength(0);
  await context.setOffline(false);
  await expect
    .poll(async () => (await readLabelRecords(stack)).filter((r) => r.labelId === labelId).length, {
      timeout: 30_000,
    })
    .toBe(1);
});

/** True when no Background Sync of the app is pending and the sync lock is neither held nor awaited. */
function syncAtRest(page: Page): Promise<boolean> {
  return page.evaluate(
    async ({ tag, lock }) => {
      const registration = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
        sync?: { getTags(): Promise<string[]> };
      };
      const tags = (await registration.sync?.getTags()) ?? [];
      const locks = await navigator.locks.query();
      const busy = [...(locks.held ?? []), ...(locks.pending ?? [])].some((l) => l.name === lock);
      return !tags.includes(tag) && !busy;
    },
    { tag: SYNC_TAG, lock: SYNC_LOCK },
  );
}
