import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test as base, expect, type Page } from '@playwright/test';
import type { ServingPolicy } from '../contracts/serving-policy.ts';
import { startTestStack, type TestStack } from '../test/support/test-stack.ts';
import { chooseImage, DIGIT_PHOTO, waitForServiceWorker } from './support/app-page.ts';

const run = promisify(execFile);

interface Builds {
  readonly work: string;
  readonly repository: string;
  /** Built with digits v1 as the default, then with v2 (a promotion). */
  readonly buildA: string;
  readonly buildB: string;
}

/**
 * A promotion end to end on the app's side: the app is built twice from a scratch repository (its
 * serving.json naming digits 1, then 2), the gateway serves build A, the page loads it, build B is put
 * in place as a rebuild would, and the service worker's update moves the open page to the new model.
 * Each build takes seconds (Vite), so the two are made once for the file.
 */
const test = base.extend<object, { builds: Builds }>({
  builds: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern here.
    async ({}, use) => {
      const work = await mkdtemp(path.join(tmpdir(), 'pictor-model-update-'));
      const repository = path.join(work, 'models');
      await cp('models', repository, { recursive: true });
      const build = async (defaultVersion: string, outDir: string) => {
        await setDefault(repository, defaultVersion);
        await run('npx', ['vite', 'build', '--config', 'pwa/vite.config.ts', '--logLevel', 'warn'], {
          env: { ...process.env, PICTOR_OUT_DIR: outDir, PICTOR_MODEL_REPOSITORY: repository },
          timeout: 240_000,
        });
        return outDir;
      };
      const buildA = await build('1', path.join(work, 'build-a'));
      const buildB = await build('2', path.join(work, 'build-b'));
      try {
        await use({ work, repository, buildA, buildB });
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    { scope: 'worker', timeout: 600_000 },
  ],
});

function setDefault(repository: string, defaultVersion: string): Promise<void> {
  const policy: ServingPolicy = {
    model: 'digits',
    defaultVersion,
    changedAt: new Date().toISOString(),
    decisionId: randomUUID(),
  };
  return writeFile(path.join(repository, 'digits', 'serving.json'), JSON.stringify(policy));
}

/** The model version the app would run on this device now (the model picker says it). */
const deviceVersion = (page: Page) => page.getByTestId('model-hint');

/** Classifies the digit photo and returns the on-device line ("7 (…) · digits v1 · …") once both verdicts are in. */
async function classifyPhoto(page: Page): Promise<{ device: string; server: string }> {
  await chooseImage(page, DIGIT_PHOTO);
  const device = page.getByTestId('device-verdict-label').locator('..');
  const server = page.getByTestId('server-verdict-label').locator('..');
  await expect(server).toBeVisible({ timeout: 30_000 });
  return { device: (await device.textContent()) ?? '', server: (await server.textContent()) ?? '' };
}

test('an open app moves to a promoted model through its service-worker update', async ({
  browser,
  builds,
}) => {
  test.setTimeout(240_000);
  const publicDir = path.join(builds.work, 'dist');
  await cp(builds.buildA, publicDir, { recursive: true });
  await setDefault(builds.repository, '1');
  let stack: TestStack | undefined;
  const context = await browser.newContext();
  try {
    stack = await startTestStack({ publicDir, modelRepository: builds.repository });
    const page = await context.newPage();
    await page.goto(`${stack.gateway.url}/`);
    await waitForServiceWorker(page);
    await expect(deviceVersion(page)).toHaveAttribute('data-device-version', '1');
    const before = await classifyPhoto(page);
    expect(before.device).toContain('digits v1');
    expect(before.server).toContain('digits v1');

    // The promotion: the host loads the new default, and the app is rebuilt in place.
    await setDefault(builds.repository, '2');
    const load = await fetch(`${stack.gpuHost.url}/v2/repository/models/digits/load`, { method: 'POST' });
    expect(load.status).toBe(200);
    await rm(publicDir, { recursive: true, force: true });
    await cp(builds.buildB, publicDir, { recursive: true });
    const newWorker = await readFile(path.join(builds.buildB, 'sw.js'), 'utf8');
    const gatewayUrl = stack.gateway.url;
    await expect
      .poll(async () => (await fetch(`${gatewayUrl}/sw.js`)).text(), { timeout: 30_000 })
      .toBe(newWorker);

    // What the app does when it comes back to the foreground (and every hour): ask for a new worker.
    await page.evaluate(async () => {
      await (await navigator.serviceWorker.getRegistration())?.update();
    });
    await expect(deviceVersion(page)).toHaveAttribute('data-device-version', '2', { timeout: 60_000 });
    await expect(deviceVersion(page)).toContainText('Version 2 runs on this phone');
    const after = await classifyPhoto(page);
    expect(after.device).toContain('digits v2');
    expect(after.server).toContain('digits v2');

    // The new worker dropped the model the old build cached; the new one is kept for offline use.
    await expect
      .poll(
        () =>
          page.evaluate(async () =>
            (await (await caches.open('pictor-large-files')).keys())
              .map((r) => new URL(r.url).pathname)
              .filter((p) => p.startsWith('/models/digits/')),
          ),
        { timeout: 30_000 },
      )
      .toEqual(['/models/digits/2/model.onnx']);
  } finally {
    await context.close();
    await stack?.dispose();
  }
});
