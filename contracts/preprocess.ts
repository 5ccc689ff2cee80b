/**
 * Turns a decoded image into a model's input tensor, identically in the gpu-host (after sharp decodes
 * and downscales the upload) and in the browser (from canvas ImageData, in a Web Worker).
 * Pure: no DOM, no Node APIs.
 */
import { estimateBackground } from './background-estimate.ts';
import { type Component, labelComponents } from './connected-components.ts';
import {
  type ByteImage,
  byteHistogram,
  centreOfMass,
  HISTOGRAM_BINS,
  histogram,
  histogramMad,
  histogramQuantile,
  otsuThresholdBin,
  type PixelBox,
  placeInSquare,
  resampleArea,
  toGreyscale,
} from './image-ops.ts';
import type { PreprocessingKind } from './model-manifest.ts';
import { normaliseStrokes } from './stroke-normalise.ts';

/** Decoded pixels: 4 bytes per pixel (R, G, B, A), row-major, e.g. canvas `ImageData` or sharp's `.raw()`. */
export interface RgbaImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** Side of the square model input: the tensor is [1, 28, 28] (batch axis added by the caller). */
export const MODEL_INPUT_SIDE = 28;

/** MNIST fits each digit's bounding box into 20 × 20, keeping its aspect ratio. */
export const DIGIT_BOX_SIDE = 20;

/** Where MNIST puts a digit's centre of mass, in pixel-index coordinates (measured: 14.00, 14.00). */
export const DIGIT_CENTRE = 14;

/** Largest side accepted; callers downscale photos to 512 px before calling. */
export const MAX_PREPROCESS_SIDE = 4096;

/** Base class of everything `preprocess` throws: the image cannot become a tensor. */
export class PreprocessError extends Error {
  override name = 'PreprocessError';
}

/** The pixel buffer does not describe an image (zero or fractional size, wrong data length, too large). */
export class InvalidImageError extends PreprocessError {
  override name = 'InvalidImageError';
  constructor(
    message: string,
    readonly width: number,
    readonly height: number,
    readonly dataLength: number,
  ) {
    super(message);
  }
}

/** The image is valid but holds nothing to classify: uniform colour, or contrast too faint to be ink. */
export class NoForegroundError extends PreprocessError {
  override name = 'NoForegroundError';
  constructor(
    message: string,
    readonly kind: PreprocessingKind,
  ) {
    super(message);
  }
}

/**
 * The model input for `image`: 28 × 28 floats in [0, 1], row-major, light foreground on a black
 * background (MNIST's convention). Both polarities are accepted: dark ink on light paper is inverted.
 *
 * - `mnist-digit`: greyscale (binned to ≤ 256 px) → divide out uneven light → Otsu + noise floor →
 *   drop specks (small or distant connected components; in photos, blobs touching the frame) while
 *   keeping the heavy fragments of a broken stroke (up to a fragment's size apart) → crop to
 *   the stroke edges → area-average into a 20 × 20 box → centre of mass at (14, 14), whole-pixel shift.
 *   An MNIST image comes back (nearly) unchanged.
 * - `fashion-item`: greyscale → invert if the frame's edge is light → noise floor from the frame's
 *   edge → crop → area-average so the longer side is 28 → box centred.
 *
 * Throws `InvalidImageError` for a malformed buffer and `NoForegroundError` for a blank image (both are
 * `PreprocessError`s; a server answers `unsupported_image`). Deterministic; 3–5 ms for 512 × 384 on
 * one core. Any size up to 4096 px per side is accepted, but larger images cost proportionally more.
 *
 * @example
 * const { data, info } = await sharp(bytes).rotate().resize({ width: 512, height: 512, fit: 'inside' })
 *   .ensureAlpha().raw().toBuffer({ resolveWithObject: true });
 * const input = preprocess('mnist-digit', { data, width: info.width, height: info.height });
 * const tensor = new ort.Tensor('float32', input, [1, 1, 28, 28]);
 */
export function preprocess(kind: PreprocessingKind, image: RgbaImage): Float32Array {
  assertValidImage(image);
  switch (kind) {
    case 'mnist-digit':
      return preprocessDigit(image);
    case 'fashion-item':
      return preprocessFashionItem(image);
    default:
      throw new TypeError(`unknown preprocessing kind: ${String(kind satisfies never)}`);
  }
}

function assertValidImage(image: RgbaImage): void {
  const { width, height } = image;
  const length = image.data?.length ?? 0;
  const fail = (why: string) => {
    throw new InvalidImageError(`invalid image ${width}×${height}: ${why}`, width, height, length);
  };
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    fail('width and height must be positive integers');
  }
  if (width > MAX_PREPROCESS_SIDE || height > MAX_PREPROCESS_SIDE) {
    fail(`sides must be at most ${MAX_PREPROCESS_SIDE} px; downscale first`);
  }
  if (length !== width * height * 4) fail(`data has ${length} bytes, expected ${width * height * 4} (RGBA)`);
}

// ── shared steps ──────────────────────────────────────────────────────────────────────────────────

/** Longest side of the image the pipeline works on (see `workingGreyscale`). */
const WORKING_SIDE = 256;
/** Least difference between ink and paper, as a fraction of the full range, that counts as a drawing. */
const MIN_INK_CONTRAST = 0.1;
/** Noise floor: background median plus this many (MAD-estimated) standard deviations. */
const NOISE_SIGMAS = 3;
/** Least noise floor for digits: compression noise on a flat ground (8 grey levels). */
const MIN_NOISE_FLOOR = 8 / 255;
/** In photos, inner blobs are preferred to frame-touching ones only when at least this heavy relative to them. */
const INNER_SUBJECT_MIN_MASS_RATIO = 0.2;
/** A component smaller than this fraction of the image (and than 4 px) cannot be the subject. */
const MIN_SUBJECT_AREA_FRACTION = 0.0005;
/** A component smaller than this fraction of the image is a speck (paper grain, JPEG noise) and is dropped. */
const SPECK_AREA_FRACTION = 0.0002;
/** Other components join the subject when they lie within this fraction of its longer side from its box. */
const FRAGMENT_MAX_GAP = 0.25;
/**
 * A digit's piece at least this heavy relative to the heaviest one is a fragment of a broken stroke (a
 * fine-liner skipping on paper, a thin line lost under the noise floor) rather than a speck…
 */
const BROKEN_STROKE_MIN_MASS_RATIO = 0.2;
/**
 * …and joins the subject from further away: within this fraction of the kept pieces' longer side. The
 * heaviest piece of a broken digit may be a small part of it, and the gaps between pieces are often as
 * long as the piece itself (measured on training/eval/stroke-dev.ts: 0.6 → 58.0 %, 1 → 61.0 %, 1.5 →
 * 60.7 % of its eroded digits read, from 56.7 % with the 0.25 reach alone).
 */
const BROKEN_STROKE_MAX_GAP = 1;
/** Ink level taken as a blurred stroke's edge. */
const STROKE_EDGE = 0.4;
/** Crops with a longer side below this (in pixels) are digits at about MNIST's size: no halo to trim. */
const HALO_TRIM_MIN_SIDE = 2 * DIGIT_BOX_SIDE;
/** Images with a longer side above this are photos, where a blob touching the frame is rarely the subject. */
const PHOTO_MIN_SIDE = 64;

/**
 * Greyscale, binned down so the longer side is at most 256 px: the subject ends up 20–28 px wide, so
 * the finer detail of a 512 px photo only costs time.
 */
function workingGreyscale(image: RgbaImage): ByteImage {
  return toGreyscale(
    image.data,
    image.width,
    image.height,
    Math.ceil(Math.max(image.width, image.height) / WORKING_SIDE),
  );
}

/**
 * True when the background is the light side: `sample`'s median is nearer the image's bright extreme
 * than its dark one. The extremes are 0.2 % quantiles: a small digit's ink may be only 1 % of the image.
 */
function hasLightBackground(allHist: Uint32Array, sampleHist: Uint32Array): boolean {
  const dark = histogramQuantile(allHist, 0.002);
  const bright = histogramQuantile(allHist, 0.998);
  const median = histogramQuantile(sampleHist, 0.5);
  return median - dark > bright - median;
}

/**
 * Maps an ink-positive image (background ≈ 0) in place so that everything at or below `floor` (the
 * background's noise) is exactly 0 and ink of typical strength (`inkLevel.quantile` of the pixels above
 * the floor and in `hist`'s bins from `inkLevel.fromBin` on) is 1; throws when the ink is too faint.
 */
function normaliseInk(
  ink: Float32Array,
  hist: Uint32Array,
  floor: number,
  inkLevel: { fromBin: number; quantile: number },
  kind: PreprocessingKind,
): void {
  const aboveFloor = Math.min(HISTOGRAM_BINS - 1, Math.floor(floor * (HISTOGRAM_BINS - 1)) + 1);
  const full = histogramQuantile(hist, inkLevel.quantile, Math.max(inkLevel.fromBin, aboveFloor));
  if (full - floor < MIN_INK_CONTRAST) {
    throw new NoForegroundError(
      `no ${kind === 'mnist-digit' ? 'digit' : 'item'} found: the image is blank or its contrast too faint`,
      kind,
    );
  }
  const range = full - floor;
  for (let i = 0; i < ink.length; i++) {
    const v = ((ink[i] as number) - floor) / range;
    ink[i] = v <= 0 ? 0 : Math.min(v, 1);
  }
}

/** The background's noise level: median plus `NOISE_SIGMAS` MAD-estimated standard deviations of bins `from`…`to`. */
function noiseFloor(hist: Uint32Array, from = 0, to = HISTOGRAM_BINS): number {
  return histogramQuantile(hist, 0.5, from, to) + NOISE_SIGMAS * 1.4826 * histogramMad(hist, from, to);
}

function gapBetween(c: Component, box: Component): number {
  return Math.max(0, box.minX - c.maxX, c.minX - box.maxX, box.minY - c.maxY, c.minY - box.maxY);
}

/**
 * The subject's components: the heaviest (avoiding blobs on the frame's edge in photos), plus the
 * pieces near it (a 4 or 5 drawn in two strokes, MNIST's faint stray pixels) and, for digits, heavy
 * pieces up to a piece's size away (the fragments of a broken thin stroke); specks and distant marks
 * stay out.
 */
function selectSubject(components: Component[], width: number, height: number, kind: PreprocessingKind) {
  const minArea = Math.max(4, MIN_SUBJECT_AREA_FRACTION * width * height);
  const speckArea = SPECK_AREA_FRACTION * width * height;
  let candidates = components.filter((c) => c.area >= speckArea);
  if (Math.max(width, height) > PHOTO_MIN_SIDE) {
    // A table edge or shadow at the frame is rarely the subject — unless the inner blobs are mere specks
    // (a digit that reaches the frame, say).
    const inner = candidates.filter((c) => !c.touchesBorder);
    const heaviest = (list: Component[]) => list.reduce((m, c) => Math.max(m, c.mass), 0);
    const innerMass = heaviest(inner.filter((c) => c.area >= minArea));
    if (innerMass > 0 && innerMass >= INNER_SUBJECT_MIN_MASS_RATIO * heaviest(candidates)) candidates = inner;
  }
  let main: Component | undefined;
  for (const c of candidates) if (!main || c.mass > main.mass) main = c;
  if (!main || main.area < minArea) {
    throw new NoForegroundError(`no ${kind === 'mnist-digit' ? 'digit' : 'item'} found: only specks`, kind);
  }
  const kept = new Set<Component>([main]);
  const box = { ...main };
  for (let grew = true; grew; ) {
    grew = false;
    const side = Math.max(box.maxX - box.minX + 1, box.maxY - box.minY + 1);
    for (const c of candidates) {
      const broken = kind === 'mnist-digit' && c.mass >= BROKEN_STROKE_MIN_MASS_RATIO * main.mass;
      const reach = (broken ? BROKEN_STROKE_MAX_GAP : FRAGMENT_MAX_GAP) * side;
      if (kept.has(c) || gapBetween(c, box) > reach) continue;
      kept.add(c);
      box.minX = Math.min(box.minX, c.minX);
      box.minY = Math.min(box.minY, c.minY);
      box.maxX = Math.max(box.maxX, c.maxX);
      box.maxY = Math.max(box.maxY, c.maxY);
      grew = true;
    }
  }
  const crop: PixelBox = {
    x: box.minX,
    y: box.minY,
    width: box.maxX - box.minX + 1,
    height: box.maxY - box.minY + 1,
  };
  return { kept, crop };
}

/** Zeroes the pixels inside `crop` that belong to no kept component (specks inside the digit's box). */
function clearOutside(
  ink: Float32Array,
  labels: Int32Array,
  width: number,
  kept: Set<Component>,
  crop: PixelBox,
) {
  const keep = new Set<number>();
  for (const c of kept) keep.add(c.label);
  for (let y = crop.y; y < crop.y + crop.height; y++) {
    for (let x = crop.x; x < crop.x + crop.width; x++) {
      const p = y * width + x;
      if (!keep.has(labels[p] ?? 0)) ink[p] = 0;
    }
  }
}

// ── mnist-digit ───────────────────────────────────────────────────────────────────────────────────

/**
 * The box MNIST would have fitted into 20 × 20. MNIST shrank sharp-edged scans, so its box is the pen
 * stroke's edge. A photo's strokes are blurred over many pixels: their edge is the half-ink contour, and
 * the faint halo beyond it would make the digit smaller and thinner than MNIST's. At MNIST's own size the
 * grey edge pixels are the anti-aliased stroke edge, so a small crop is kept as it is.
 */
function strokeBox(ink: Float32Array, width: number, crop: PixelBox): PixelBox {
  if (Math.max(crop.width, crop.height) < HALO_TRIM_MIN_SIDE) return crop;
  let minX = crop.x + crop.width;
  let minY = crop.y + crop.height;
  let maxX = -1;
  let maxY = -1;
  for (let y = crop.y; y < crop.y + crop.height; y++) {
    for (let x = crop.x; x < crop.x + crop.width; x++) {
      if ((ink[y * width + x] ?? 0) < STROKE_EDGE) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? crop : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Rounds a shift to whole pixels, towards zero on (near-)ties. */
function shiftTo(offset: number): number {
  return Math.sign(offset) * Math.floor(Math.abs(offset) + 0.5 - 1e-3);
}

function preprocessDigit(image: RgbaImage): Float32Array {
  const { data: grey, width, height } = workingGreyscale(image);
  const allHist = byteHistogram(grey);
  // Ink covers a small part of a digit's picture, so the median pixel is background.
  const light = hasLightBackground(allHist, allHist);
  const background = estimateBackground(grey, width, height, light ? 'light' : 'dark');
  const ink = new Float32Array(grey.length);
  for (let i = 0; i < ink.length; i++) {
    const g = (grey[i] as number) / 255;
    const b = background[i] as number;
    // Light paper: light falls off multiplicatively, so divide (flat-field); dark ground: subtract.
    const v = light ? 1 - g / Math.max(b, 1 / 255) : g - b;
    ink[i] = Math.max(v, 0);
  }
  // Otsu's threshold splits ink from paper; the paper's side gives the noise floor. MNIST strokes are
  // saturated at their core: the 90th percentile of ink becomes 1 (MNIST's own peak at 0.99, barely moved).
  const inkHist = histogram(ink);
  const split = otsuThresholdBin(inkHist);
  normaliseInk(ink, inkHist, noiseFloor(inkHist, 0, split), { fromBin: split, quantile: 0.9 }, 'mnist-digit');
  // A perfectly clean ground has no spread to measure (MAD 0), yet a compressed photo keeps a few levels
  // of noise in it that would join the digit to the frame: in photos, components are found above
  // MIN_NOISE_FLOOR at least. At MNIST's own size the faint pixels are the stroke's anti-aliased edge.
  const componentFloor = Math.max(width, height) > PHOTO_MIN_SIDE ? MIN_NOISE_FLOOR : 0;
  const solid = ink.map((v) => (v > componentFloor ? v : 0));
  const { labels, components } = labelComponents(solid, width, height);
  const { kept, crop } = selectSubject(components, width, height, 'mnist-digit');
  clearOutside(ink, labels, width, kept, crop);
  let box = strokeBox(ink, width, crop);
  // Photos only (a small digit in a photo too: a fine-liner there is a faint sub-pixel line); an image at
  // MNIST's own size already has MNIST's strokes and must stay untouched.
  if (Math.max(width, height) > PHOTO_MIN_SIDE) box = normaliseStrokes(ink, width, height, box).box;
  const digit = resampleArea(
    { data: ink, width, height },
    box,
    DIGIT_BOX_SIDE / Math.max(box.width, box.height),
  );
  const com = centreOfMass(digit) ?? { x: digit.width / 2, y: digit.height / 2 };
  // Whole-pixel shifts, as MNIST did (a fractional shift would blur every stroke). Shifts are rounded
  // in the source's frame, so that an MNIST image, whose centre is up to 0.5 px off, stays put.
  const dx = box.x + shiftTo(DIGIT_CENTRE - com.x - box.x);
  const dy = box.y + shiftTo(DIGIT_CENTRE - com.y - box.y);
  return placeInSquare(digit, MODEL_INPUT_SIDE, dx, dy);
}

// ── fashion-item ──────────────────────────────────────────────────────────────────────────────────

/** The indices of the pixels on the image's edge. */
function borderRing(width: number, height: number): Int32Array {
  const ring = new Set<number>();
  for (let x = 0; x < width; x++) ring.add(x).add((height - 1) * width + x);
  for (let y = 0; y < height; y++) ring.add(y * width).add(y * width + width - 1);
  return Int32Array.from(ring);
}

function preprocessFashionItem(image: RgbaImage): Float32Array {
  const { data: grey, width, height } = workingGreyscale(image);
  const ring = borderRing(width, height);
  const ringHist = byteHistogram(grey, ring);
  // Items fill much of the frame, so the frame's edge, not the median, tells the background.
  const light = hasLightBackground(byteHistogram(grey), ringHist);
  const ground = light ? 1 - histogramQuantile(ringHist, 0.5) : histogramQuantile(ringHist, 0.5);
  const ink = new Float32Array(grey.length);
  for (let i = 0; i < ink.length; i++) {
    const g = (grey[i] as number) / 255;
    const v = (light ? 1 - g : g) - ground;
    ink[i] = Math.max(v, 0);
  }
  // An item's dim parts (a black shirt's fabric) are item, not background: only the frame's edge tells
  // the noise floor. Fashion-MNIST keeps the item's texture: only the brightest 1 % saturate.
  const floor = noiseFloor(histogram(ink, ring));
  normaliseInk(ink, histogram(ink), floor, { fromBin: 0, quantile: 0.99 }, 'fashion-item');
  const { components } = labelComponents(ink, width, height);
  const { crop } = selectSubject(components, width, height, 'fashion-item');
  const item = resampleArea(
    { data: ink, width, height },
    crop,
    MODEL_INPUT_SIDE / Math.max(crop.width, crop.height),
  );
  return placeInSquare(
    item,
    MODEL_INPUT_SIDE,
    Math.floor((MODEL_INPUT_SIDE - item.width) / 2),
    Math.floor((MODEL_INPUT_SIDE - item.height) / 2),
  );
}
