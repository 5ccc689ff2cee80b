import { cpus, loadavg } from 'node:os';
import { preprocess } from '../contracts/preprocess.ts';
import { formatTable } from '../mr/summary-table.ts';
import { photoLikeDigits } from '../test/fixtures/photo-like-digits.ts';

/**
 * `npm run bench:preprocess`: `preprocess('mnist-digit', …)` (contracts/preprocess.ts, the step device
 * and server share) on photo-like digits of 512 px on the long side, per image, against a baseline
 * measured in the same run: one pass over the same RGBA pixels (summing them), the least any
 * preprocessing must do. Was a wall-clock bound inside contracts/preprocess.test.ts (3.1 ms idle,
 * 4.4–5.1 ms with both cores busy on the 2-core dev machine). Prints a table, then one line of JSON.
 */
const RUNS = 30;
const photos = (await photoLikeDigits(300, 2, { rotate: false })).map((p) => p.image);

function perImageMs(step: (image: (typeof photos)[number]) => unknown): { median: number; p90: number } {
  for (const image of photos) step(image); // warm-up
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const image of photos) {
      const start = performance.now();
      step(image);
      times.push(performance.now() - start);
    }
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9) };
}

function sumPixels(data: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] as number;
  return sum;
}
let sink = 0;
const baseline = perImageMs((image) => {
  sink ^= sumPixels(image.data);
});
const measured = perImageMs((image) => preprocess('mnist-digit', image));

const rows = [
  ['one pass over the pixels (baseline)', baseline.median.toFixed(2), baseline.p90.toFixed(2)],
  ["preprocess('mnist-digit')", measured.median.toFixed(2), measured.p90.toFixed(2)],
];
console.log(
  `${photos.length} photos (≤ 512 px), ${RUNS} runs each; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()[0]?.toFixed(2)}`,
);
console.log(formatTable(['step', 'median ms / image', 'p90 ms / image'], rows));
console.log(
  JSON.stringify({
    bench: 'preprocess',
    photos: photos.length,
    runs: RUNS,
    baselineMedianMs: baseline.median,
    baselineP90Ms: baseline.p90,
    preprocessMedianMs: measured.median,
    preprocessP90Ms: measured.p90,
    checksum: sink,
  }),
);
