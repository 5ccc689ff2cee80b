/**
 * `npm run eval:models`: every digits model version on a fixed, seeded evaluation set the training never
 * sees, through the server's own decoding (sharp) and preprocessing and onnxruntime-node.
 *
 *   npx tsx training/eval/eval-models.ts [--versions 1,2] [--per-cell 1] [--ood-per-kind 60]
 *                                        [--write-manifest 2] [--preprocess-from <preprocess.ts>]
 *
 * Prints accuracy per source and style, a confusion matrix, ECE, the share of non-digits flagged and of
 * digits wrongly flagged, a table, and as its last line the same figures as JSON. `--write-manifest V`
 * stores the figures of version V in `models/digits/V/manifest.json` (`evaluation`).
 * `--preprocess-from` evaluates with another checkout's preprocessing (e.g. main's, for a baseline).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { type ModelManifest, modelManifestSchema } from '../../contracts/model-manifest.ts';
import { isOutOfDistribution } from '../../contracts/out-of-distribution.ts';
import type { RgbaImage } from '../../contracts/preprocess.ts';
import * as sharedPreprocess from '../../contracts/preprocess.ts';
import { decodeImage } from '../../gpu-host/image-decoder.ts';
import { fashionSample } from '../../test/fixtures/fashion-samples.ts';
import {
  decodeLikeServer,
  makeDigitPhoto,
  randomPhotoOptions,
} from '../../test/fixtures/make-digit-photo.ts';
import { greyToRgba, mnistSample } from '../../test/fixtures/mnist-samples.ts';
import { type EvalPhoto, renderDigitPhotos, renderOodPhotos } from './eval-photos.ts';
import { mnistTestIndices } from './mnist-held-out.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODELS = join(ROOT, 'models', 'digits');
const SEED = 20261202;
/** Fashion-MNIST items from this index on per class were never used by training (training/outliers.py). */
const FASHION_EVAL_FROM = 6500;
const ECE_BINS = 15;
const MNIST_PHOTOS = 200;

interface Item {
  source: string;
  style: string;
  digit: number | null;
  /** Preprocessed input, or null when preprocessing found nothing to classify (blank). */
  input: Float32Array | null;
}

interface Verdict {
  label: number;
  confidence: number;
  /** Confidence before temperature scaling (probabilities ∝ p^T), for the ECE before calibration. */
  rawConfidence: number;
  flagged: boolean;
}

type Preprocess = (kind: 'mnist-digit', image: RgbaImage) => Float32Array;

async function buildItems(preprocess: Preprocess, perCell: number, oodPerKind: number): Promise<Item[]> {
  const started = performance.now();
  const clothes: Uint8Array[] = [];
  for (let k = 0; k < oodPerKind; k++)
    clothes.push(fashionSample(k % 10, FASHION_EVAL_FROM + Math.floor(k / 10)));
  const photos: EvalPhoto[] = [
    ...(await renderDigitPhotos(SEED, undefined, perCell)),
    ...(await renderOodPhotos(SEED, oodPerKind, clothes)),
  ];
  const items: Item[] = [];
  const run = (image: RgbaImage) => {
    try {
      return preprocess('mnist-digit', image);
    } catch (error) {
      if (error instanceof Error && /PreprocessError|NoForegroundError/.test(error.name)) return null;
      throw error;
    }
  };
  for (const p of photos) {
    const image = await decodeImage(p.jpeg, { maxImageBytes: 64 * 1024 * 1024, maxInputPixels: 100_000_000 });
    items.push({ source: p.source, style: p.style, digit: p.digit, input: run(image) });
  }
  const test = mnistTestIndices();
  for (const { digit, index } of test) {
    items.push({
      source: 'mnist',
      style: 'held-out',
      digit,
      input: run(greyToRgba(mnistSample(digit, index), 28, 28)),
    });
  }
  for (const [k, { digit, index }] of test.slice(0, MNIST_PHOTOS).entries()) {
    const jpeg = await makeDigitPhoto(mnistSample(digit, index), randomPhotoOptions(SEED + k));
    items.push({ source: 'mnist', style: 'photo', digit, input: run(await decodeLikeServer(jpeg)) });
  }
  console.error(
    `eval set: ${items.length} images rendered and preprocessed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return items;
}

async function classify(
  modelPath: string,
  manifest: ModelManifest,
  items: Item[],
): Promise<(Verdict | null)[]> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  const temperature = manifest.outOfDistribution?.temperature ?? 1;
  const out: (Verdict | null)[] = [];
  for (let i = 0; i < items.length; i += 256) {
    const chunk = items.slice(i, i + 256);
    const batch = new Float32Array(chunk.length * 784);
    chunk.forEach((it, j) => {
      if (it.input) batch.set(it.input, j * 784);
    });
    const result = await session.run({ input: new ort.Tensor('float32', batch, [chunk.length, 1, 28, 28]) });
    const probs = result.probabilities?.data as Float32Array;
    chunk.forEach((it, j) => {
      if (!it.input) {
        out.push(null);
        return;
      }
      const row = probs.subarray(j * 10, j * 10 + 10);
      let label = 0;
      for (let d = 1; d < 10; d++) if ((row[d] as number) > (row[label] as number)) label = d;
      let norm = 0;
      for (const p of row) norm += p ** temperature;
      const confidence = row[label] as number;
      out.push({
        label,
        confidence,
        rawConfidence: confidence ** temperature / norm,
        flagged: isOutOfDistribution(manifest, confidence),
      });
    });
  }
  await session.release();
  return out;
}

function ece(pairs: { confidence: number; correct: boolean }[]): number {
  const bins = Array.from({ length: ECE_BINS + 1 }, () => ({ n: 0, conf: 0, correct: 0 }));
  for (const p of pairs) {
    const bin = bins[Math.min(ECE_BINS, Math.floor(p.confidence * ECE_BINS))] as {
      n: number;
      conf: number;
      correct: number;
    };
    bin.n++;
    bin.conf += p.confidence;
    bin.correct += p.correct ? 1 : 0;
  }
  let gap = 0;
  for (const b of bins) gap += Math.abs(b.correct - b.conf);
  return pairs.length ? gap / pairs.length : 0;
}

interface Report {
  version: string;
  accuracy: Record<string, number>;
  falseFlagged: Record<string, number>;
  oodFlagged: Record<string, number>;
  ece: Record<string, number>;
  sizes: Record<string, number>;
  confusion: number[][];
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

function report(version: string, items: Item[], verdicts: (Verdict | null)[], hasOod: boolean): Report {
  const groups = new Map<string, number[]>();
  const add = (key: string, i: number) => groups.set(key, [...(groups.get(key) ?? []), i]);
  items.forEach((it, i) => {
    if (it.digit === null) add(`ood/${it.source}`, i);
    else {
      add(`${it.source}/${it.style}`, i);
      add(`${it.source}/all`, i);
    }
  });
  const r: Report = {
    version,
    accuracy: {},
    falseFlagged: {},
    oodFlagged: {},
    ece: {},
    sizes: {},
    confusion: Array.from({ length: 10 }, () => new Array(10).fill(0)),
  };
  for (const [key, idx] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    r.sizes[key] = idx.length;
    if (key.startsWith('ood/')) {
      // A blank page the preprocessing rejects counts as flagged: the user gets no digit either way.
      r.oodFlagged[key.slice(4)] = round(
        idx.filter((i) => verdicts[i] === null || verdicts[i]?.flagged).length / idx.length,
      );
      continue;
    }
    const correct = idx.filter((i) => verdicts[i]?.label === items[i]?.digit).length;
    r.accuracy[key] = round(correct / idx.length);
    if (hasOod)
      r.falseFlagged[key] = round(
        idx.filter((i) => verdicts[i] === null || verdicts[i]?.flagged).length / idx.length,
      );
    if (key.endsWith('/all')) {
      const pairs = idx.flatMap((i) =>
        verdicts[i] ? [{ v: verdicts[i] as Verdict, d: items[i]?.digit }] : [],
      );
      r.ece[key] = round(
        ece(pairs.map(({ v, d }) => ({ confidence: v.confidence, correct: v.label === d }))),
      );
      if (hasOod)
        r.ece[`${key} (before calibration)`] = round(
          ece(pairs.map(({ v, d }) => ({ confidence: v.rawConfidence, correct: v.label === d }))),
        );
    }
  }
  const ood = Object.values(r.oodFlagged);
  if (ood.length) r.oodFlagged.mean = round(ood.reduce((a, b) => a + b, 0) / ood.length);
  items.forEach((it, i) => {
    const v = verdicts[i];
    const row = it.digit === null ? undefined : r.confusion[it.digit];
    if (it.source === 'fonts' && row && v) row[v.label] = (row[v.label] ?? 0) + 1;
  });
  return r;
}

function printReports(reports: Report[]): void {
  const keys = [...new Set(reports.flatMap((r) => Object.keys(r.accuracy)))];
  const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
  const head = ['set', 'n', ...reports.flatMap((r) => [`v${r.version} acc`, `v${r.version} flagged`])];
  const rows: string[][] = [];
  for (const k of keys)
    rows.push([
      k,
      String(reports[0]?.sizes[k] ?? ''),
      ...reports.flatMap((r) => [pct(r.accuracy[k]), pct(r.falseFlagged[k])]),
    ]);
  const oodKeys = [...new Set(reports.flatMap((r) => Object.keys(r.oodFlagged)))];
  for (const k of oodKeys)
    rows.push([
      `not a digit: ${k}`,
      String(reports[0]?.sizes[`ood/${k}`] ?? ''),
      ...reports.flatMap((r) => ['', pct(r.oodFlagged[k])]),
    ]);
  const eceKeys = [...new Set(reports.flatMap((r) => Object.keys(r.ece)))];
  for (const k of eceKeys) rows.push([`ECE ${k}`, '', ...reports.flatMap((r) => [pct(r.ece[k]), ''])]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  for (const r of reports) {
    console.log(`\nconfusion matrix, v${r.version}, font digits (rows: true digit, columns: predicted)`);
    console.log(`     ${[...Array(10).keys()].map((d) => String(d).padStart(4)).join('')}`);
    r.confusion.forEach((row, d) => {
      console.log(`  ${d}  ${row.map((n) => String(n).padStart(4)).join('')}`);
    });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      versions: { type: 'string' },
      'per-cell': { type: 'string', default: '1' },
      'ood-per-kind': { type: 'string', default: '60' },
      'write-manifest': { type: 'string' },
      'preprocess-from': { type: 'string' },
    },
  });
  const preprocess: Preprocess = values['preprocess-from']
    ? ((await import(values['preprocess-from'])) as typeof sharedPreprocess).preprocess
    : sharedPreprocess.preprocess;
  const versions =
    values.versions?.split(',') ??
    readdirSync(MODELS)
      .filter((v) => /^[1-9][0-9]*$/.test(v))
      .sort((a, b) => Number(a) - Number(b));
  const items = await buildItems(preprocess, Number(values['per-cell']), Number(values['ood-per-kind']));
  const reports: Report[] = [];
  for (const version of versions) {
    const manifestPath = join(MODELS, version, 'manifest.json');
    const manifest = modelManifestSchema.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
    const verdicts = await classify(join(MODELS, version, 'model.onnx'), manifest, items);
    reports.push(report(version, items, verdicts, manifest.outOfDistribution !== undefined));
  }
  printReports(reports);
  const target = values['write-manifest'];
  const chosen = reports.find((r) => r.version === target);
  if (target && chosen) {
    const manifestPath = join(MODELS, target, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    const { accuracy, oodFlagged, falseFlagged, ece: e, sizes } = chosen;
    manifest.evaluation = {
      command: 'npm run eval:models',
      evaluatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      accuracy,
      oodFlagged,
      falseFlagged,
      ece: e,
      sizes,
    };
    modelManifestSchema.parse(manifest);
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    console.error(`wrote the evaluation figures into ${manifestPath}`);
  }
  console.log(JSON.stringify({ seed: SEED, reports: reports.map(({ confusion, ...rest }) => rest) }));
}

await main();
