import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ModelManifest, modelManifestSchema } from '../../contracts/model-manifest.ts';

/**
 * Checks the committed model repository (`models/<name>/<version>/`, written by training/train.py):
 * manifests, checksums, that onnxruntime-node runs each model as the manifest describes, and that
 * the golden held-out images still give the probabilities PyTorch gave at export.
 */

const REPOSITORY = fileURLToPath(new URL('../../models/', import.meta.url));
const GOLDEN_TOLERANCE = 1e-4;
/** Minimum held-out accuracy per model; models not listed only need a valid manifest. */
const MIN_HELD_OUT_ACCURACY: Readonly<Record<string, number>> = { digits: 0.99, fashion: 0.92 };
const EXPECTED_MODELS = ['digits', 'fashion'];

const goldenSchema = z.object({
  model: z.string(),
  images: z
    .array(
      z.object({
        label: z.number().int().nonnegative(),
        pixels: z.array(z.number().int().min(0).max(255)).length(28 * 28),
        probabilities: z.array(z.number().min(0).max(1)),
      }),
    )
    .min(3),
});
type Golden = z.infer<typeof goldenSchema>;

/** Every `<name>/<version>/` folder with a manifest.json, as the server would discover them. */
function findModelFolders(): string[] {
  const folders: string[] = [];
  for (const model of subfolders(REPOSITORY)) {
    for (const version of subfolders(path.join(REPOSITORY, model))) {
      const folder = path.join(REPOSITORY, model, version);
      if (existsSync(path.join(folder, 'manifest.json'))) folders.push(folder);
    }
  }
  return folders;
}

function subfolders(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  }
  return best;
}

/** Largest absolute difference of two equally long vectors (NaN, failing any bound, if lengths differ). */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

/** Golden images as one float32 batch `[n, 1, 28, 28]`, bytes / 255 like the server's preprocessing. */
function toInputTensor(images: readonly Golden['images'][number][]): ort.Tensor {
  const data = new Float32Array(images.length * 28 * 28);
  images.forEach((image, i) => {
    image.pixels.forEach((byte, j) => {
      data[i * 28 * 28 + j] = byte / 255;
    });
  });
  return new ort.Tensor('float32', data, [images.length, 1, 28, 28]);
}

/** Splits a `[n, classes]` output into rows. */
function rows(output: ort.Tensor): Float32Array[] {
  const [n, classes] = output.dims;
  if (n === undefined || classes === undefined) throw new Error(`unexpected output dims ${output.dims}`);
  const data = output.data as Float32Array;
  return Array.from({ length: n }, (_, i) => data.subarray(i * classes, (i + 1) * classes));
}

const folders = findModelFolders();

it('the repository holds the expected models', () => {
  const names = folders.map((folder) => path.basename(path.dirname(folder)));
  for (const name of EXPECTED_MODELS) expect(names).toContain(name);
});

describe.each(folders.map((folder) => [path.relative(REPOSITORY, folder), folder] as const))(
  'models/%s',
  (_label, folder) => {
    let manifest: ModelManifest;
    let golden: Golden;
    let session: ort.InferenceSession;

    beforeAll(async () => {
      manifest = modelManifestSchema.parse(
        JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')),
      );
      golden = goldenSchema.parse(JSON.parse(readFileSync(path.join(folder, 'golden.json'), 'utf8')));
      session = await ort.InferenceSession.create(path.join(folder, 'model.onnx'), {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
    });

    afterAll(async () => {
      await session?.release();
    });

    async function run(images: readonly Golden['images'][number][]): Promise<Float32Array[]> {
      const results = await session.run({ [manifest.input.name]: toInputTensor(images) });
      const output = results[manifest.output.name];
      if (output === undefined) throw new Error(`no output named ${manifest.output.name}`);
      expect(output.dims).toEqual([images.length, ...manifest.output.dims]);
      return rows(output);
    }

    it('manifest matches its folder and describes a 28x28 classifier', () => {
      const version = path.basename(folder);
      const name = path.basename(path.dirname(folder));
      expect(manifest.name).toBe(name);
      expect(manifest.version).toBe(version);
      expect(manifest.input.dims).toEqual([1, 28, 28]);
      expect(manifest.output.dims).toEqual([manifest.labels.length]);
      expect(golden.model).toBe(name);
    });

    it('model.onnx has the sha256 recorded in the manifest', () => {
      const sha256 = createHash('sha256')
        .update(readFileSync(path.join(folder, 'model.onnx')))
        .digest('hex');
      expect(sha256).toBe(manifest.training.modelSha256);
    });

    it('the model has the input and output names of the manifest', () => {
      expect(session.inputNames).toEqual([manifest.input.name]);
      expect(session.outputNames).toEqual([manifest.output.name]);
    });

    it('runs a dynamic batch of 3 and returns one probability per label per row', async () => {
      const batch = golden.images.slice(0, 3);
      const batched = await run(batch);
      expect(batched).toHaveLength(3);
      for (const [i, row] of batched.entries()) {
        expect(row).toHaveLength(manifest.labels.length);
        const sum = row.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 5);
        for (const p of row) expect(p).toBeGreaterThanOrEqual(0);
        // Batching must not change a row's answer.
        const [single] = await run([batch[i] as Golden['images'][number]]);
        expect(maxDifference(row, single ?? [])).toBeLessThan(1e-5);
      }
    });

    it('golden images give the golden probabilities and the true label', async () => {
      const outputs = await run(golden.images);
      for (const [i, image] of golden.images.entries()) {
        const row = outputs[i];
        if (row === undefined) throw new Error(`no output row ${i}`);
        expect(image.probabilities).toHaveLength(manifest.labels.length);
        const worst = maxDifference(image.probabilities, row);
        expect(worst, `image ${i} (label ${manifest.labels[image.label]})`).toBeLessThan(GOLDEN_TOLERANCE);
        expect(argmax(row)).toBe(image.label);
        expect(argmax(image.probabilities)).toBe(image.label);
      }
    });

    it('held-out accuracy meets the bar for this model', () => {
      const minimum = MIN_HELD_OUT_ACCURACY[manifest.name];
      if (minimum !== undefined) expect(manifest.training.heldOutAccuracy).toBeGreaterThanOrEqual(minimum);
      expect(manifest.training.heldOutSize).toBeGreaterThan(0);
    });
  },
);
