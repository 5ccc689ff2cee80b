import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.ts';
import { expect, test } from './stack-fixture.ts';
import { waitForServiceWorker } from './support/app-page.ts';

interface InstallabilityError {
  errorId: string;
  errorArguments: Array<{ name: string; value: string }>;
}

test('is installable: Chromium reports no installability errors, and the service worker controls the page', async ({
  stack,
}) => {
  // A persistent profile: in Playwright's default (incognito-like) contexts Chromium always answers `in-incognito`.
  const profile = await mkdtemp(path.join(tmpdir(), 'pictor-install-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    headless: true,
    baseURL: stack.gateway.url,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/');
    await waitForServiceWorker(page);

    const manifest = await page.evaluate(async () => {
      const href = document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href;
      return href ? ((await (await fetch(href)).json()) as Record<string, unknown>) : null;
    });
    expect(manifest).toMatchObject({ short_name: 'Pictor', display: 'standalone', start_url: '/' });

    const cdp = await context.newCDPSession(page);
    // Chromium checks installability asynchronously after the manifest and the worker are in place.
    let errors: InstallabilityError[] = [];
    await expect
      .poll(
        async () => {
          ({ installabilityErrors: errors } = (await cdp.send('Page.getInstallabilityErrors')) as {
            installabilityErrors: InstallabilityError[];
          });
          return errors.map((e) => e.errorId);
        },
        { timeout: 15_000 },
      )
      .toEqual([]);

    const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
    expect(controller).toBe(`${stack.gateway.url}/sw.js`);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});
