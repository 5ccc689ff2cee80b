/**
 * The phone figures of bench/pwa.ts (issue 12), for one build of the app:
 * - first-visit bytes: everything a fresh browser downloads on opening the app until the network is
 *   quiet (service worker precache and the model kept for offline use included), counted by a proxy;
 * - time to the server's verdict on a throttled first visit (400 kbit/s down and up, 400 ms per
 *   request, through a throttling proxy: DevTools throttling does not reach service-worker and Web
 *   Worker fetches), for a photo chosen 3 s after opening;
 * - Lighthouse's mobile scores (its default: Moto G Power emulation, simulated slow 4G and 4× CPU).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import lighthouse from 'lighthouse';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { startThrottlingProxy } from '../e2e/support/throttling-proxy.ts';

/** The slow connection of the field test. */
export const SLOW_LINK = { downBitsPerSecond: 400_000, upBitsPerSecond: 400_000, roundTripMs: 400 } as const;
/** The photo is chosen this long after the page opened. */
const CHOOSE_AFTER_MS = 3_000;
/** The network counts as quiet after this long without a byte. */
const QUIET_MS = 5_000;

export interface LighthouseScores {
  readonly performance: number;
  readonly accessibility: number;
  readonly bestPractices: number;
  readonly seo: number;
  readonly totalBlockingTimeMs: number;
  readonly largestContentfulPaintMs: number;
  /** Main-thread tasks over 50 ms (simulated 4× slower CPU), longest first: where blocking time comes from. */
  readonly longTasks?: ReadonlyArray<{ readonly url: string; readonly ms: number }>;
}

/** Bytes downloaded by a first visit, until the network has been quiet for QUIET_MS. */
export async function firstVisitBytes(baseURL: string): Promise<number> {
  const proxy = await startThrottlingProxy(null);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, `--proxy-server=${proxy.url}`, '--proxy-bypass-list=<-loopback>'],
  });
  try {
    const page = await browser.newPage({ baseURL });
    await page.goto('/');
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    let last = -1;
    while (proxy.bytesDown() !== last) {
      last = proxy.bytesDown();
      await page.waitForTimeout(QUIET_MS);
    }
    return last;
  } finally {
    await browser.close();
    await proxy.close();
  }
}

/** Ms from choosing the photo to the server's verdict on screen, on a first visit over SLOW_LINK. */
export async function throttledServerVerdictMs(baseURL: string, photo: string): Promise<number> {
  const proxy = await startThrottlingProxy(SLOW_LINK);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, `--proxy-server=${proxy.url}`, '--proxy-bypass-list=<-loopback>'],
  });
  try {
    const page = await browser.newPage({ baseURL });
    await page.goto('/', { timeout: 120_000 });
    await page.waitForTimeout(CHOOSE_AFTER_MS);
    return await timeToScreen(page, photo, 'server-verdict-label', 400_000);
  } finally {
    await browser.close();
    await proxy.close();
  }
}

/**
 * Chooses `photo` and returns the ms from the input's change event to the first frame painted with
 * `testId` in the DOM (bench:pwa's on-device and server figures too).
 */
export async function timeToScreen(
  page: Page,
  photo: string,
  testId: string,
  timeoutMs: number,
  pollingMs = 50,
): Promise<number> {
  await page.evaluate((id) => {
    const w = window as unknown as { __chosenAt?: number; __shownAt?: number };
    w.__chosenAt = undefined;
    w.__shownAt = undefined;
    // Inline arrows only: tsx names bound functions with a `__name` helper the page does not have.
    document.addEventListener(
      'change',
      () => {
        w.__chosenAt = performance.now();
      },
      { capture: true, once: true },
    );
    const observer = new MutationObserver(() => {
      if (w.__chosenAt === undefined || !document.querySelector(`[data-testid="${id}"]`)) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        w.__shownAt = performance.now();
      });
    });
    observer.observe(document.body, { childList: true, subtree: true });
  }, testId);
  await page.getByLabel('Choose an image').setInputFiles(photo);
  const handle = await page.waitForFunction(
    () => {
      const w = window as unknown as { __chosenAt?: number; __shownAt?: number };
      return w.__shownAt !== undefined && w.__chosenAt !== undefined ? w.__shownAt - w.__chosenAt : null;
    },
    undefined,
    { timeout: timeoutMs, polling: pollingMs },
  );
  return (await handle.jsonValue()) as number;
}

/** Lighthouse (mobile, its defaults) on a fresh Chromium profile; one run. */
export async function lighthouseMobile(url: string): Promise<LighthouseScores> {
  const profile = await mkdtemp(path.join(tmpdir(), 'pictor-lighthouse-'));
  const { child, port } = await startDebuggableChromium(profile);
  try {
    const result = await lighthouse(url, {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices', 'seo'],
    });
    if (!result) throw new Error('lighthouse returned no result');
    const { categories, audits } = result.lhr;
    const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
    return {
      performance: score('performance'),
      accessibility: score('accessibility'),
      bestPractices: score('best-practices'),
      seo: score('seo'),
      totalBlockingTimeMs: Math.round(audits['total-blocking-time']?.numericValue ?? Number.NaN),
      largestContentfulPaintMs: Math.round(audits['largest-contentful-paint']?.numericValue ?? Number.NaN),
      longTasks: (
        (audits['long-tasks']?.details as { items?: Array<{ url: string; duration: number }> })?.items ?? []
      )
        .map((t) => ({ url: t.url.replace(/^https?:\/\/[^/]+/, ''), ms: Math.round(t.duration) }))
        .slice(0, 8),
    };
  } finally {
    child.kill();
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(profile, { recursive: true, force: true });
  }
}

/** Debian's Chromium with a DevTools port picked by itself (port 0), as Lighthouse needs. */
async function startDebuggableChromium(profile: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_ARGS,
      '--headless=new',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Chromium gave no DevTools port:\n${text}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`Chromium exited (${code}) before its DevTools port:\n${text}`)),
    );
  });
  return { child, port };
}
