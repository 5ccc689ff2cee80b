/**
 * Stroke-width normalisation for digit photos: fills outline ("bubble") digits and thickens or thins
 * pen strokes so that, once the digit is area-averaged into MNIST's 20 × 20 box, its strokes are as wide
 * as MNIST's. Pure; works in place on the ink image of `preprocess`, inside the digit's box only.
 */
import type { PixelBox } from './image-ops.ts';

/** MNIST's stroke width as a share of the digit box's longer side (measured on enlarged MNIST photos). */
export const MNIST_STROKE_RATIO = 0.12;
/** Ink at or above this level is stroke for the width estimate and the outline test. */
const MASK_LEVEL = 0.35;
/** Strokes within this factor of MNIST's are left alone (no resampling blur for nothing). */
const WIDTH_TOLERANCE = 1.6;
/** An enclosed hole narrower than this share of the box (its full width) may be the inside of an outline. */
const OUTLINE_MAX_HOLE_WIDTH = 0.2;
/** …and at least this elongated (area over squared half-width): a stroke's inside, not a round loop. */
const OUTLINE_MIN_ELONGATION = 14;
/** …and wider than the pen line around it, times this. */
const OUTLINE_MIN_HOLE_TO_PEN = 1.2;
/**
 * Only a pen thinner than this share of the box draws outlines: MNIST's own digits, photographed, measure
 * 0.71–1.55 × MNIST_STROKE_RATIO (5th–95th percentile, training/README.md), so a pen at least 0.71 × as
 * wide draws the strokes themselves, and the holes it encloses are loops (a squashed 8), not the inside
 * of an outlined stroke.
 */
const OUTLINE_MAX_PEN = 0.71 * MNIST_STROKE_RATIO;

/** What `normaliseStrokes` did, for tests and diagnostics. */
export interface StrokeAdjustment {
  /** Estimated pen width before, in working pixels. */
  penWidth: number;
  /** Holes filled as the inside of an outline digit. */
  filledHoles: number;
  /** Pixels of dilation (> 0) or erosion (< 0) applied. */
  radius: number;
  /** The digit's box afterwards. */
  box: PixelBox;
}

/**
 * Two-pass chessboard distance transform: for each pixel of `mask`, the distance (in pixels, 8-neighbour
 * steps, ≥ 1) to the nearest pixel outside it; 0 outside. Pixels outside the `w × h` frame count as outside.
 */
function distanceInside(mask: Uint8Array, w: number, h: number): Uint16Array {
  const d = new Uint16Array(w * h);
  const big = 0xffff;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      let m = big;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) m = 1;
      else {
        m = Math.min(
          (d[i - 1] as number) + 1,
          (d[i - w - 1] as number) + 1,
          (d[i - w] as number) + 1,
          (d[i - w + 1] as number) + 1,
        );
      }
      d[i] = m;
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (!mask[i] || x === 0 || y === 0 || x === w - 1 || y === h - 1) continue;
      d[i] = Math.min(
        d[i] as number,
        (d[i + 1] as number) + 1,
        (d[i + w + 1] as number) + 1,
        (d[i + w] as number) + 1,
        (d[i + w - 1] as number) + 1,
      );
    }
  }
  return d;
}

/** Pen width from the mean inside-distance: a flat stroke w px across has mean distance ≈ (w + 2) / 4. */
function penWidthOf(mask: Uint8Array, dist: Uint16Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    sum += dist[i] as number;
    n++;
  }
  return n === 0 ? 0 : Math.max(1, (4 * sum) / n - 2);
}

/**
 * Fills the enclosed holes of `mask` that look like the inside of an outlined stroke: narrow, elongated
 * and wider than the pen. Round loops (0, 6, 8, 9, a closed 4) stay open. Returns the holes filled.
 */
function fillOutlineHoles(
  ink: Float32Array,
  stride: number,
  region: PixelBox,
  mask: Uint8Array,
  penWidth: number,
  longSide: number,
): number {
  const { width: w, height: h } = region;
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const pixels: number[] = [];
  const background = new Uint8Array(w * h);
  for (let i = 0; i < background.length; i++) background[i] = mask[i] ? 0 : 1;
  // Inside an enclosed hole, the distance to the nearest non-background pixel is the distance to ink.
  const dist = distanceInside(background, w, h);
  let filled = 0;
  for (let start = 0; start < w * h; start++) {
    if (mask[start] || seen[start]) continue;
    // 4-connected background component.
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    pixels.length = 0;
    let open = false;
    while (top > 0) {
      const p = stack[--top] as number;
      pixels.push(p);
      const x = p % w;
      const y = (p - x) / w;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) open = true;
      const next = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
      for (const q of next) {
        if (q < 0 || mask[q] || seen[q]) continue;
        seen[q] = 1;
        stack[top++] = q;
      }
    }
    if (open || pixels.length < 4) continue;
    let half = 0;
    for (const p of pixels) half = Math.max(half, dist[p] as number);
    const holeWidth = 2 * half;
    const elongation = pixels.length / (half * half);
    if (
      holeWidth <= OUTLINE_MAX_HOLE_WIDTH * longSide &&
      elongation >= OUTLINE_MIN_ELONGATION &&
      holeWidth >= OUTLINE_MIN_HOLE_TO_PEN * penWidth
    ) {
      for (const p of pixels) {
        const x = p % w;
        const y = (p - x) / w;
        ink[(region.y + y) * stride + region.x + x] = 1;
        mask[p] = 1;
      }
      filled++;
    }
  }
  return filled;
}

/** Separable square max (dilate, r > 0) or min (erode, r < 0) filter of `ink` inside `region`, in place. */
function morph(ink: Float32Array, stride: number, region: PixelBox, r: number): void {
  const { x: rx, y: ry, width: w, height: h } = region;
  const k = Math.abs(r);
  const pick = r > 0 ? Math.max : Math.min;
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (ry + y) * stride + rx;
    for (let x = 0; x < w; x++) {
      let v = ink[row + x] as number;
      for (let j = Math.max(0, x - k); j <= Math.min(w - 1, x + k); j++) v = pick(v, ink[row + j] as number);
      tmp[y * w + x] = v;
    }
  }
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let v = tmp[y * w + x] as number;
      for (let j = Math.max(0, y - k); j <= Math.min(h - 1, y + k); j++)
        v = pick(v, tmp[j * w + x] as number);
      ink[(ry + y) * stride + rx + x] = v;
    }
  }
}

/**
 * Fills outline digits and brings the pen width to `MNIST_STROKE_RATIO` of the box's longer side, in
 * place on `ink` (`width × height`, ink-positive, values in [0, 1]); `box` is the digit's stroke box.
 * Only pixels within the box grown by the dilation radius change. Returns what it did and the new box.
 */
export function normaliseStrokes(
  ink: Float32Array,
  width: number,
  height: number,
  box: PixelBox,
): StrokeAdjustment {
  const longSide = Math.max(box.width, box.height);
  const target = MNIST_STROKE_RATIO * longSide;
  const mask = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      mask[y * box.width + x] = (ink[(box.y + y) * width + box.x + x] ?? 0) >= MASK_LEVEL ? 1 : 0;
    }
  }
  const penWidth = penWidthOf(mask, distanceInside(mask, box.width, box.height));
  const filledHoles =
    penWidth < OUTLINE_MAX_PEN * longSide ? fillOutlineHoles(ink, width, box, mask, penWidth, longSide) : 0;
  // A filled outline is one thick stroke now: measure again.
  const filledWidth =
    filledHoles > 0 ? penWidthOf(mask, distanceInside(mask, box.width, box.height)) : penWidth;
  let radius = 0;
  if (filledWidth * WIDTH_TOLERANCE < target) radius = Math.round((target - filledWidth) / 2);
  // Thinning never takes a stroke below half its width: thick markers vary, erosion must not cut them.
  else if (filledWidth > target * WIDTH_TOLERANCE) {
    radius = -Math.min(Math.round((filledWidth - target) / 2), Math.floor(filledWidth / 4));
  }
  if (radius === 0) return { penWidth, filledHoles, radius, box };
  const grow = Math.max(radius, 0) + 1;
  const region: PixelBox = {
    x: Math.max(0, box.x - grow),
    y: Math.max(0, box.y - grow),
    width: Math.min(width, box.x + box.width + grow) - Math.max(0, box.x - grow),
    height: Math.min(height, box.y + box.height + grow) - Math.max(0, box.y - grow),
  };
  morph(ink, width, region, radius);
  return { penWidth, filledHoles, radius, box: inkBox(ink, width, region) ?? box };
}

/** The bounding box of the pixels of `region` with ink ≥ 0.4 (a stroke's half-ink edge). */
function inkBox(ink: Float32Array, stride: number, region: PixelBox): PixelBox | null {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = -1;
  let maxY = -1;
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) {
      if ((ink[y * stride + x] ?? 0) < 0.4) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}
