import { readFileSync } from 'node:fs';
import { makeDigitPhoto, randomPhotoOptions, decodeLikeServer } from '../../test/fixtures/make-digit-photo.ts';
import { mnistSample, mnistCount } from '../../test/fixtures/mnist-samples.ts';
import { preprocess } from '../../contracts/preprocess.ts';
const log: number[][] = []; (globalThis as any).__log = log;
const split = JSON.parse(readFileSync('training/splits/digits-held-out.json', 'utf8')).test as number[];
const starts: number[] = []; let total = 0; for (let d = 0; d < 10; d++) { starts.push(total); total += mnistCount(d); }
const mode = process.argv[2] ?? 'mnist';
for (let k = 0; k < 150; k++) {
  const flat = split[600 + k]!; let digit = 9; while (starts[digit]! > flat) digit--;
  const o = randomPhotoOptions(4242 + k);
  const opts = mode === 'pen' ? { ...o, pen: 2 + (k % 5) } : o;
  try { preprocess('mnist-digit', await decodeLikeServer(await makeDigitPhoto(mnistSample(digit, flat - starts[digit]!), opts))); } catch {}
}
const r = log.map((l) => l[0]!).sort((a, b) => a - b);
const q = (p: number) => r[Math.floor(p * (r.length - 1))]!.toFixed(2);
console.log(mode, 'n', r.length, 'ratio quantiles 5/10/25/50/75/90/95:', [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95].map(q).join(' '));
console.log('longSide median', log.map((l) => l[2]!).sort((a, b) => a - b)[Math.floor(log.length / 2)]);
