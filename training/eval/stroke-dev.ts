/**
 * A development set for stroke preprocessing, apart from `eval:models`' evaluation set: MNIST held-out
 * digits (past the 200 that `eval:models` photographs) as phone photos, drawn with MNIST's own strokes,
 * redrawn with fine-liner pens 1.5–6 photo pixels wide, and eroded down to their thickest parts, which
 * breaks the thin ones (test/fixtures/fine-liner.ts). Preprocessing
 * changes are tuned here, never on the evaluation set; then `eval:models` is run once.
 *
 *   npx tsx training/eval/stroke-dev.ts [--count 400] [--version 2] [--preprocess-from <preprocess.ts>]
 *                                       [--dump <folder>] [--pens eroded,mnist]
 *
 * Prints accuracy and the share wrongly flagged "not a digit" per pen; last line JSON.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { modelManifestSchema } from '../../contracts/model-manifest.ts';
import { isOutOfDistribution } from '../../contracts/out-of-distribution.ts';
import type { RgbaImage } from '../../contracts/preprocess.ts';
import {
  decodeLikeServer,
  makeDigitPhoto,
  randomPhotoOptions,
} from '../../test/fixtures/make-digit-photo.ts';
import { mnistCount, mnistSample } from '../../test/fixtures/mnist-samples.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SEED = 7_301_955;
/** `eval:models` photographs the first 200 held-out digits; this set starts after them. */
const FIRST = 200;

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '400' },
    version: { type: 'string', default: '2' },
    'preprocess-from': { type: 'string' },
    /** Writes each misread or flagged input (28 × 28 PNG, enlarged) here, to look at. */
    dump: { type: 'string' },
    /** Only these pens (comma-separated: mnist, fine-liner, eroded), for a quicker loop. */
    pens: { type: 'string', default: 'mnist,fine-liner,eroded' },
  },
});
const count = Number(values.count);
const pens = new Set(values.pens.split(','));
const modelDir = join(ROOT, 'models', 'digits', values.version);
const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')));
const { preprocess } = (await import(values['preprocess-from'] ?? '../../contracts/preprocess.ts')) as {
  preprocess: (kind: 'mnist-digit', image: RgbaImage) => Float32Array;
};

const split = JSON.parse(readFileSync(join(ROOT, 'training', 'splits', 'digits-held-out.json'), 'utf8')) as {
  test: number[];
};
const starts: number[] = [];
let total = 0;
for (let d = 0; d < 10; d++) {
  starts.push(total);
  total += mnistCount(d);
}
const held = split.test.slice(FIRST, FIRST + count).map((flat) => {
  let digit = 9;
  while ((starts[digit] as number) > flat) digit--;
  return { digit, index: flat - (starts[digit] as number) };
});

if (values.dump) mkdirSync(values.dump, { recursive: true });
const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'), { intraOpNumThreads: 1 });
const groups = new Map<string, { n: number; correct: number; flagged: number; blank: number }>();
const random = seededRandom(SEED);
for (const [k, { digit, index }] of held.entries()) {
  const options = randomPhotoOptions(SEED + k);
  const pen = 1.5 + random() * 4.5;
  // MNIST's strokes are about 2.5 of its 28 pixels wide: erode them to 0.3–1.5 photo px from 2.5 × scale.
  const erode = options.scale * (1.25 - 0.2 * random()) - 0.5 - random() * 2;
  for (const [group, opts] of [
    ['mnist-pen', options],
    [pen < 3 ? 'fine-liner 1.5-3px' : 'fine-liner 3-6px', { ...options, pen }],
    ['eroded (broken)', { ...options, erode }],
  ] as const) {
    if (
      !pens.has(
        group.split(/[ -]/)[0] === 'mnist' ? 'mnist' : group.startsWith('fine') ? 'fine-liner' : 'eroded',
      )
    )
      continue;
    const stats = groups.get(group) ?? { n: 0, correct: 0, flagged: 0, blank: 0 };
    groups.set(group, stats);
    stats.n++;
    let input: Float32Array;
    try {
      input = preprocess(
        'mnist-digit',
        await decodeLikeServer(await makeDigitPhoto(mnistSample(digit, index), opts)),
      );
    } catch {
      stats.blank++;
      stats.flagged++;
      continue;
    }
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, 1, 28, 28]) });
    const probs = out.probabilities?.data as Float32Array;
    let label = 0;
    for (let d = 1; d < 10; d++) if ((probs[d] as number) > (probs[label] as number)) label = d;
    const flagged = isOutOfDistribution(manifest, probs[label] as number);
    if (label === digit) stats.correct++;
    if (flagged) stats.flagged++;
    if (values.dump && (label !== digit || flagged)) {
      const bytes = Buffer.from(Array.from(input, (v) => Math.round(v * 255)));
      const name = `${group.replace(/[^a-z0-9]+/gi, '-')}-${k}-${digit}-read-${label}${flagged ? '-flagged' : ''}.png`;
      await sharp(bytes, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(112, 112, { kernel: 'nearest' })
        .png()
        .toFile(join(values.dump, name));
    }
  }
}
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
const summary: Record<string, { accuracy: number; flagged: number; n: number }> = {};
console.log('group              n   accuracy  flagged  blank');
for (const [group, s] of [...groups].sort()) {
  console.log(
    `${group.padEnd(18)} ${String(s.n).padStart(3)} ${pct(s.correct, s.n).padStart(9)} ${pct(s.flagged, s.n).padStart(8)} ${String(s.blank).padStart(6)}`,
  );
  summary[group] = { accuracy: s.correct / s.n, flagged: s.flagged / s.n, n: s.n };
}
console.log(JSON.stringify(summary));
