import { access } from 'node:fs/promises';
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { startTestStack, type TestStack } from '../test/support/test-stack.ts';

/** The built app the gateway serves; `npm run test:e2e` builds it first. */
const PUBLIC_DIR = 'pwa/dist';

export interface StackFixtures {
  /** The whole system on free ports, serving the built app, with a throw-away data folder. */
  readonly stack: TestStack;
}

export interface PageFixtures {
  /**
   * Content-Security-Policy violations the page and its workers reported. A test fails if any is left
   * at its end: the app must work under the gateway's CSP. (A test that causes one on purpose clears it.)
   */
  readonly cspViolations: string[];
}

const CSP_MESSAGE = /Content Security Policy|CSP violation/i;

/**
 * Playwright's `test`, with the real local stack (S3 server, inference host, gateway, Lambda bridge)
 * started once per worker and `baseURL` pointing at its gateway.
 */
export const test = base.extend<PageFixtures, StackFixtures>({
  baseURL: async ({ stack }, use) => use(stack.gateway.url),
  // biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern here.
  cspViolations: async ({}, use) => use([]),
  page: async ({ page, cspViolations }, use) => {
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) =>
        console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`),
      );
    });
    const record = (message: { type(): string; text(): string }) => {
      if (message.type() === 'error' && CSP_MESSAGE.test(message.text())) cspViolations.push(message.text());
    };
    page.on('console', record);
    page.on('worker', (worker) => worker.on('console', record));
    await use(page);
    expect(cspViolations, 'the app broke its Content-Security-Policy').toEqual([]);
  },
  stack: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern here.
    async ({}, use) => {
      await access(path.join(PUBLIC_DIR, 'index.html')).catch(() => {
        throw new Error(
          `${PUBLIC_DIR}/index.html is missing: run \`npm run build\` first (or \`npm run test:e2e\`)`,
        );
      });
      const stack = await startTestStack({
        publicDir: PUBLIC_DIR,
        lambdaRetryDelaysMs: [200, 400],
        logLevel: 'warn',
      });
      try {
        await use(stack);
      } finally {
        await stack.dispose();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
});

export { expect };
