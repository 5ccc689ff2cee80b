import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { fashionSample } from '../../test/fixtures/fashion-samples.ts';
import { MNIST_SIDE, mnistSample } from '../../test/fixtures/mnist-samples.ts';

/** Writes 28 × 28 grey bytes as a PNG enlarged 4×, so it looks like an image rather than a tensor. */
async function writeGreyPng(dir: string, name: string, grey: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await sharp(Buffer.from(grey), { raw: { width: MNIST_SIDE, height: MNIST_SIDE, channels: 1 } })
    .resize(MNIST_SIDE * 4, MNIST_SIDE * 4, { kernel: 'nearest' })
    .png()
    .toFile(file);
  return file;
}

/** MNIST sample `index` of `digit` (light digit on black, as MNIST is) as a PNG in `dir`; returns its path. */
export function writeMnistPng(dir: string, digit: number, index: number): Promise<string> {
  return writeGreyPng(dir, `mnist-${digit}-${index}.png`, mnistSample(digit, index));
}

/** Fashion-MNIST sample `index` of class `label` (0 T-shirt/top … 9 Ankle boot) as a PNG in `dir`. */
export function writeFashionPng(dir: string, label: number, index: number): Promise<string> {
  return writeGreyPng(dir, `fashion-${label}-${index}.png`, fashionSample(label, index));
}
