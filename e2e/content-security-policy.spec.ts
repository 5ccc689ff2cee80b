import { expect, test } from './stack-fixture.ts';
import { chooseImage, DIGIT_PHOTO } from './support/app-page.ts';

test('classifies on the device (WebAssembly in a worker) and uploads to S3 under the CSP, with no violation', async ({
  page,
  cspViolations,
}) => {
  const response = await page.goto('/');
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  await chooseImage(page, DIGIT_PHOTO);
  await expect(page.getByTestId('device-verdict-label')).toHaveText('7');
  await expect(page.getByTestId('server-verdict-label')).toHaveText('7');
  expect(cspViolations).toEqual([]);
});

test('blocks inline script in the app, and the test fixture notices', async ({ page, cspViolations }) => {
  await page.goto('/');
  const ran = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true';
    document.body.append(script);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
  expect(cspViolations.join('\n')).toMatch(/script-src/);
  // Caused on purpose: not a failure of the app.
  cspViolations.length = 0;
});
