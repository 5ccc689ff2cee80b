/**
 * The gate's evaluation sets other than the users' own labels, built the way `npm run eval:models`
 * builds them (training/eval/), through the server's decoder and contracts/preprocess.ts:
 * MNIST's held-out test half, 200 of those digits as photo-like JPEGs, the font digits when the fonts
 * are installed, and non-digits (clothing past Fashion-MNIST index 6,500, doodles, blank and textured
 * paper, and letters when the fonts are installed).
 */
import { execFileSync } from 'node:child_process';
import { PreprocessError, preprocess, type RgbaImage } from '../../contracts/preprocess.ts';
import { decodeImage } from '../../gpu-host/image-decoder.ts';
import { fashionSample } from '../../test/fixtures/fashion-samples.ts';
import {
  decodeLikeServer,
  makeDigitPhoto,
  randomPhotoOptions,
} from '../../test/fixtures/make-digit-photo.ts';
import { greyToRgba, mnistSample } from '../../test/fixtures/mnist-samples.ts';
import { EVAL_FONTS, type OodKind, renderDigitPhotos, renderOodPhotos } from '../eval/eval-photos.ts';
import { mnistTestIndices } from '../eval/mnist-held-out.ts';

/** eval-models' seed: the same photos, so the gate's figures can be read against its tables. */
export const GATE_SET_SEED = 20261202;
const FASHION_EVAL_FROM = 6500;
const MNIST_PHOTOS = 200;

/** One evaluation image: its set, its true class (null: not a digit) and the model input (null: blank). */
export interface GateItem {
  readonly set: string;
  readonly truth: number | null;
  readonly input: Float32Array | null;
}

export interface GateSetOptions {
  /** Font digits and letters need the Debian font packages (training/README.md); `auto` uses them if present. */
  readonly fonts: 'auto' | 'on' | 'off';
  /** Non-digit photos per kind. */
  readonly oodPerKind: number;
  /** Only the first N MNIST test digits (tests); all 750 by default. */
  readonly mnistLimit?: number | undefined;
  /** How many of those digits are also photographed (default 200, as eval-models). */
  readonly photos?: number | undefined;
}

/** Whether fontconfig knows every evaluation font (CI images have none of them). */
export function evalFontsInstalled(): boolean {
  try {
    const families = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8', timeout: 10_000 });
    return EVAL_FONTS.every((font) => families.includes(font));
  } catch {
    return false;
  }
}

/** The model input of an image, or null when preprocessing finds nothing to classify (blank page). */
export function toInput(image: RgbaImage): Float32Array | null {
  try {
    return preprocess('mnist-digit', image);
  } catch (error) {
    if (error instanceof PreprocessError) return null;
    throw error;
  }
}

/** The standard sets, and whether the font sets are among them. */
export async function buildGateSets(options: GateSetOptions): Promise<{ items: GateItem[]; fonts: boolean }> {
  const fonts = options.fonts === 'on' || (options.fonts === 'auto' && evalFontsInstalled());
  const items: GateItem[] = [];
  const test = mnistTestIndices().slice(0, options.mnistLimit ?? Number.POSITIVE_INFINITY);
  for (const { digit, index } of test) {
    items.push({
      set: 'mnist-held-out',
      truth: digit,
      input: toInput(greyToRgba(mnistSample(digit, index), 28, 28)),
    });
  }
  for (const [k, { digit, index }] of test.slice(0, options.photos ?? MNIST_PHOTOS).entries()) {
    const jpeg = await makeDigitPhoto(mnistSample(digit, index), randomPhotoOptions(GATE_SET_SEED + k));
    items.push({ set: 'photos-mnist', truth: digit, input: toInput(await decodeLikeServer(jpeg)) });
  }
  const limits = { maxImageBytes: 64 * 1024 * 1024, maxInputPixels: 100_000_000 };
  if (fonts) {
    for (const p of await renderDigitPhotos(GATE_SET_SEED, undefined, 1)) {
      items.push({ set: 'photos-fonts', truth: p.digit, input: toInput(await decodeImage(p.jpeg, limits)) });
    }
  }
  const clothes: Uint8Array[] = [];
  for (let k = 0; k < options.oodPerKind; k++) {
    clothes.push(fashionSample(k % 10, FASHION_EVAL_FROM + Math.floor(k / 10)));
  }
  const kinds: OodKind[] = [
    'clothing',
    'doodles',
    'blank-paper',
    'textured-paper',
    ...(fonts ? (['letters'] as const) : []),
  ];
  for (const p of await renderOodPhotos(GATE_SET_SEED, options.oodPerKind, clothes, kinds)) {
    items.push({ set: `ood-${p.source}`, truth: null, input: toInput(await decodeImage(p.jpeg, limits)) });
  }
  return { items, fonts };
}
