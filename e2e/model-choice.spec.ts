import { expect, test } from './stack-fixture.ts';
import { chooseImage } from './support/app-page.ts';
import { writeFashionPng } from './support/mnist-images.ts';

test('remembers the chosen model, classifies clothes on the device with it, and uploads for that model', async ({
  page,
}, testInfo) => {
  const boot = await writeFashionPng(testInfo.outputDir, 9, 0);
  await page.goto('/');
  await expect(page.getByLabel('Model')).toHaveValue('digits');

  await page.getByLabel('Model').selectOption('fashion');
  await page.reload();
  await expect(page.getByLabel('Model')).toHaveValue('fashion');
  await expect(page.getByTestId('model-hint')).toContainText('offline too');

  await chooseImage(page, boot);

  await expect(page.getByTestId('device-verdict-label')).toHaveText('Ankle boot');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('Ankle boot');
  await expect(page.getByTestId('verdict')).toContainText('fashion v1');
  // The label choices are the model's own.
  await expect(page.getByTestId('label-option')).toHaveCount(10);
  await expect(page.locator('[data-testid="label-option"][data-label="T-shirt/top"]')).toBeVisible();
});
