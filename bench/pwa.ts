/**
 * On-device figures of the PWA, in Debian's Chromium against the real local stack (not a test):
 *
 *   npm run bench:pwa        # builds the app, then runs this
 *
 * - inference: `session.run` per image inside the inference worker (many runs, timed in batches,
 *   because performance.now() ticks in 0.1 ms steps without cross-origin isolation), and the decode +
 *   scale and preprocessing stages beside it;
 * - choose → on-device verdict on screen: from the file input's change event to the first animation
 *   frame after the verdict is in the DOM, with the model loaded (the app warms it up after opening),
 *   and for the first image right after the app opens; measured offline, so uploads do not compete;
 * - choose → server verdict on screen, online, for comparison;
 * - the first-load size (app shell, gzipped) and what loads later;
 * - the phone figures (bench/pwa-phone.ts): first-visit bytes, time to the server's verdict on a
 *   throttled first visit (400 kbit/s, 400 ms), Lighthouse's mobile scores; with
 *   `BENCH_PWA_BASELINE_DIST=<another build's pwa/dist>` the same figures for that build, measured in
 *   the same run (e.g. the commit before, built in a `git worktree`).
 *
 * Prints a table and, as the very last line, the same figures as one line of JSON.
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium.ts';
import { formatKB, measureBuild, totalGzip } from '../pwa/scripts/shell-size.ts';
import { startTestStack } from '../test/support/test-stack.ts';
import {
  firstVisitBytes,
  type LighthouseScores,
  lighthouseMobile,
  SLOW_LINK,
  throttledServerVerdictMs,
  timeToScreen,
} from './pwa-phone.ts';

const PHOTO = fileURLToPath(new URL('../e2e/fixtures/digit-photo.jpg', import.meta.url));
const DIST = fileURLToPath(new URL('../pwa/dist', import.meta.url));
const MODEL = 'digits';
/** Runs of each stage inside the worker (in batches of 10). */
const WORKER_RUNS = Number(process.env.BENCH_WORKER_RUNS ?? 300);
const WARM_CHOICES = Number(process.env.BENCH_WARM_CHOICES ?? 20);
const COLD_CHOICES = Number(process.env.BENCH_COLD_CHOICES ?? 5);
const SERVER_CHOICES = Number(process.env.BENCH_SERVER_CHOICES ?? 8);
const LIGHTHOUSE_RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? 3);
/** Another build of the app to measure the phone figures of, as the baseline. */
const BASELINE_DIST = process.env.BENCH_PWA_BASELINE_DIST;

interface PhoneFigures {
  readonly firstVisitBytes: number;
  readonly throttledServerVerdictMs: number;
  /** Median of each figure over LIGHTHOUSE_RUNS runs. */
  readonly lighthouse: LighthouseScores;
}

/** The phone figures of the build served at `baseURL`. */
async function phoneFigures(baseURL: string): Promise<PhoneFigures> {
  const runs: LighthouseScores[] = [];
  for (let i = 0; i < LIGHTHOUSE_RUNS; i++) runs.push(await lighthouseMobile(`${baseURL}/`));
  const mid = (key: Exclude<keyof LighthouseScores, 'longTasks'>) => median(runs.map((r) => r[key]));
  return {
    firstVisitBytes: await firstVisitBytes(baseURL),
    throttledServerVerdictMs: round(await throttledServerVerdictMs(baseURL, PHOTO), 0),
    lighthouse: {
      performance: mid('performance'),
      accessibility: mid('accessibility'),
      bestPractices: mid('bestPractices'),
      seo: mid('seo'),
      totalBlockingTimeMs: mid('totalBlockingTimeMs'),
      largestContentfulPaintMs: mid('largestContentfulPaintMs'),
      longTasks: runs[0]?.longTasks ?? [],
    },
  };
}

/** The phone figures of another build (its own stack, same machine, same run). */
async function baselineFigures(dist: string): Promise<PhoneFigures> {
  const stack = await startTestStack({ publicDir: dist, logLevel: 'warn' });
  try {
    return await phoneFigures(stack.gatewayUrl);
  } finally {
    await stack.dispose();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (ms: number, digits = 2) => Number(ms.toFixed(digits));

/** Stage times per run measured in the worker through the `?bench` hook (pwa/src/bench-hook.ts). */
async function workerStages(page: Page, photo: Buffer) {
  return page.evaluate(
    async ({ base64, model, runs }) => {
      const bench = window.pictorBench;
      if (!bench) throw new Error('the app was not opened with ?bench');
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      await bench.warmUp(model);
      return bench.run(new Blob([bytes], { type: 'image/jpeg' }), model, runs);
    },
    { base64: photo.toString('base64'), model: MODEL, runs: WORKER_RUNS },
  );
}

/** Chooses the photo; ms from the input's change event to the first frame with `testId` in the DOM. */
function chooseToScreen(page: Page, testId: string): Promise<number> {
  return timeToScreen(page, PHOTO, testId, 30_000, 10);
}

/** Back to an empty Classify page (History and back remounts it) without reloading. */
async function resetClassify(page: Page): Promise<void> {
  await page.getByTestId('nav-history').click();
  await page.getByTestId('nav-classify').click();
  await page.getByLabel('Choose an image').waitFor({ state: 'attached' });
}

async function main(): Promise<void> {
  const stack = await startTestStack({ publicDir: 'pwa/dist', logLevel: 'warn' });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
      headless: true,
    });
    const context = await browser.newContext({ baseURL: stack.gateway.url });
    const page = await context.newPage();
    await page.goto('/?bench');
    // First visit: wait until the service worker has precached everything, as an installed app has.
    await page.evaluate(async () => void (await navigator.serviceWorker.ready));
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    const photo = await readFile(PHOTO);
    const stages = await workerStages(page, photo);
    if (stages.label !== '7') throw new Error(`the worker read the photo as ${stages.label}, not 7`);

    // Offline: the on-device path alone, as on a phone without a connection.
    await context.setOffline(true);
    const cold: number[] = [];
    for (let i = 0; i < COLD_CHOICES; i++) {
      await page.reload();
      await page.getByLabel('Choose an image').waitFor({ state: 'attached' });
      cold.push(await chooseToScreen(page, 'device-verdict-label'));
    }
    const warm: number[] = [];
    for (let i = 0; i < WARM_CHOICES; i++) {
      await resetClassify(page);
      warm.push(await chooseToScreen(page, 'device-verdict-label'));
    }
    await context.setOffline(false);
    const server: number[] = [];
    for (let i = 0; i < SERVER_CHOICES; i++) {
      await resetClassify(page);
      server.push(await chooseToScreen(page, 'server-verdict-label'));
    }

    const chromiumVersion = browser.version();
    await browser.close();
    browser = undefined;
    const phone = await phoneFigures(stack.gateway.url);
    const baseline = BASELINE_DIST ? await baselineFigures(BASELINE_DIST) : null;

    const sizes = await measureBuild(DIST);
    const figures = {
      chromium: chromiumVersion,
      cpus: cpus().length,
      model: MODEL,
      image: '1200×900 JPEG (e2e/fixtures/digit-photo.jpg)',
      inferenceMedianMs: round(median(stages.inferenceMs), 3),
      preprocessMedianMs: round(median(stages.preprocessMs), 3),
      decodeAndScaleMedianMs: round(median(stages.decodeMs), 3),
      workerRuns: stages.inferenceMs.length * 10,
      chooseToDeviceVerdictMedianMs: round(median(warm), 1),
      chooseToDeviceVerdictRuns: warm.length,
      firstImageAfterOpenMedianMs: round(median(cold), 1),
      firstImageAfterOpenRuns: cold.length,
      chooseToServerVerdictMedianMs: round(median(server), 1),
      chooseToServerVerdictRuns: server.length,
      shellGzipBytes: totalGzip(sizes.shell),
      lazyGzipBytes: totalGzip(sizes.lazy),
      runtimeGzipBytes: totalGzip(sizes.runtime),
      modelsGzipBytes: totalGzip(sizes.models),
      serviceWorkerGzipBytes: totalGzip(sizes.serviceWorker),
      slowLink: SLOW_LINK,
      lighthouseRuns: LIGHTHOUSE_RUNS,
      phone,
      ...(baseline ? { baseline: { dist: BASELINE_DIST, phone: baseline } } : {}),
    };
    const then = (pick: (f: PhoneFigures) => number, format: (n: number) => string) =>
      baseline ? `${format(pick(phone))} (baseline ${format(pick(baseline))})` : format(pick(phone));
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    const seconds = (n: number) => `${(n / 1000).toFixed(1)} s`;

    const rows: Array<[string, string]> = [
      [
        'on-device inference (session.run), median per image',
        `${figures.inferenceMedianMs} ms (${figures.workerRuns} runs)`,
      ],
      ['  preprocess (contracts/preprocess.ts), median', `${figures.preprocessMedianMs} ms`],
      ['  decode + scale to 512 px, median', `${figures.decodeAndScaleMedianMs} ms`],
      [
        'choose → on-device verdict on screen, median',
        `${figures.chooseToDeviceVerdictMedianMs} ms (n = ${warm.length}, offline, model loaded)`,
      ],
      [
        '  first image right after opening the app, median',
        `${figures.firstImageAfterOpenMedianMs} ms (n = ${cold.length}, offline)`,
      ],
      [
        'choose → server verdict on screen, median',
        `${figures.chooseToServerVerdictMedianMs} ms (n = ${server.length}, online)`,
      ],
      ['first load: app shell (HTML, entry JS, CSS), gzipped', formatKB(figures.shellGzipBytes)],
      [
        '  later: app JS + worker / onnxruntime JS+WASM / models',
        `${formatKB(figures.lazyGzipBytes)} / ${formatKB(figures.runtimeGzipBytes)} / ${formatKB(figures.modelsGzipBytes)}`,
      ],
      ['  service worker (sw.js)', formatKB(figures.serviceWorkerGzipBytes)],
      ['first visit: bytes downloaded until the network is quiet', then((f) => f.firstVisitBytes, mb)],
      [
        `throttled first visit (${SLOW_LINK.downBitsPerSecond / 1000} kbit/s, ${SLOW_LINK.roundTripMs} ms): choose → server verdict`,
        then((f) => f.throttledServerVerdictMs, seconds),
      ],
      [
        `Lighthouse mobile performance (median of ${LIGHTHOUSE_RUNS})`,
        then((f) => f.lighthouse.performance, String),
      ],
      [
        '  total blocking time',
        then(
          (f) => f.lighthouse.totalBlockingTimeMs,
          (n) => `${n} ms`,
        ),
      ],
      [
        '  largest contentful paint',
        then(
          (f) => f.lighthouse.largestContentfulPaintMs,
          (n) => `${n} ms`,
        ),
      ],
      [
        '  accessibility / best practices / SEO',
        then(
          (f) => f.lighthouse.accessibility * 1e6 + f.lighthouse.bestPractices * 1e3 + f.lighthouse.seo,
          (n) => `${Math.floor(n / 1e6)} / ${Math.floor(n / 1e3) % 1e3} / ${n % 1e3}`,
        ),
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(
      `\nPictor PWA, ${MODEL} model, ${figures.image}; Chromium ${figures.chromium}, ${figures.cpus} CPUs\n`,
    );
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    console.log(JSON.stringify(figures));
  } finally {
    await browser?.close();
    await stack.dispose();
  }
}

await main();
