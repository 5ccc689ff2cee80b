import { writeFile } from 'node:fs/promises';
import { fashionSample } from '../test/fixtures/fashion-samples.ts';
import { renderOodPhotos } from '../training/eval/eval-photos.ts';
import { expect, test } from './stack-fixture.ts';
import { chooseImage, giveLabel } from './support/app-page.ts';
import { readLabelRecords } from './support/s3-objects.ts';

test("says a photo of clothing doesn't look like a handwritten digit, asks for its label, and stores it as asked", async ({
  page,
  stack,
}, testInfo) => {
  // A clothing photo of the eval:models kind (a Fashion-MNIST item past the training range).
  const photos = await renderOodPhotos(20261202, 1, [fashionSample(8, 6600)]);
  const clothing = photos.find((p) => p.source === 'clothing');
  if (!clothing) throw new Error('the evaluation set rendered no clothing photo');
  const file = testInfo.outputPath('bag.jpg');
  await writeFile(file, clothing.jpeg);

  await page.goto('/');
  await expect(page.getByLabel('Model')).toHaveValue('digits');
  await chooseImage(page, file);

  // First the device's verdict, then the server's: both flag it.
  await expect(page.getByTestId('verdict-ood')).toHaveText("This doesn't look like a handwritten digit");
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-source', 'server', { timeout: 30_000 });
  await expect(page.getByTestId('verdict-ood')).toBeVisible();
  await expect(page.getByTestId('verdict-label')).toBeVisible(); // the best guess, small
  // Unsure (and maybe the phone disagreed): the app asks, once, and says why.
  const prompt = page.getByTestId('label-prompt');
  await expect(prompt).toBeVisible();
  expect(['out-of-distribution', 'disagree', 'unsure']).toContain(await prompt.getAttribute('data-reason'));
  await expect(prompt).toContainText(/wasn't sure|disagreed/);
  await giveLabel(page, '8');
  await expect(prompt).toBeHidden();
  await expect(page.getByTestId('label-status')).toHaveAttribute('data-status', 'sent', { timeout: 30_000 });
  // The label record in S3 says the app asked for it.
  await expect
    .poll(async () => (await readLabelRecords(stack)).filter((r) => r.label === '8').map((r) => r.source), {
      timeout: 30_000,
    })
    .toContain('asked');
});
