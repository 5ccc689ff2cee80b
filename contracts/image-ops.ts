/**
 * Pixel operations on single-channel float images (row-major `Float32Array`, values in [0, 1]).
 * Pure: they run in Node, in a browser and in a Web Worker.
 */

/** A rectangle of whole pixels: `x, y` inclusive, `width × height` pixels. */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A single-channel float image. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Number of bins in the histograms below: one per 8-bit level. */
export const HISTOGRAM_BINS = 256;

/** An 8-bit greyscale image. */
export interface ByteImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * 8-bit greyscale from RGBA bytes: alpha composited over white (a transparent PNG is white paper), then
 * BT.601 luma, the weights canvas and libvips use. With `bin` > 1, each output pixel is the mean of a
 * `bin × bin` block (partial blocks at the right and bottom edges average what they hold).
 */
export function toGreyscale(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  bin = 1,
): ByteImage {
  const ow = Math.ceil(width / bin);
  const oh = Math.ceil(height / bin);
  const data = new Uint8Array(ow * oh);
  if (bin === 1) {
    for (let i = 0, p = 0; i < data.length; i++, p += 4) data[i] = lumaOverWhite(rgba, p);
    return { data, width, height };
  }
  const sums = new Uint32Array(ow);
  // One 32-bit read per pixel instead of four byte reads: a fifth to a quarter less time for this, the
  // costliest pass of `preprocess` (measured in Node; same bytes out). Needs a 4-byte-aligned buffer
  // (canvas ImageData, sharp's output) on a little-endian machine; otherwise bytes are read one by one.
  const words =
    LITTLE_ENDIAN && rgba.byteOffset % 4 === 0
      ? new Uint32Array(rgba.buffer, rgba.byteOffset, width * height)
      : null;
  for (let oy = 0; oy < oh; oy++) {
    sums.fill(0);
    const yEnd = Math.min(height, (oy + 1) * bin);
    for (let y = oy * bin; y < yEnd; y++) {
      const row = y * width;
      if (words) {
        for (let x = 0; x < width; x++) {
          const o = (x / bin) | 0;
          sums[o] = (sums[o] as number) + wordLumaOverWhite(words[row + x] as number);
        }
      } else {
        for (let x = 0, p = row * 4; x < width; x++, p += 4) {
          const o = (x / bin) | 0;
          sums[o] = (sums[o] as number) + lumaOverWhite(rgba, p);
        }
      }
    }
    const rows = yEnd - oy * bin;
    for (let ox = 0; ox < ow; ox++) {
      const count = rows * (Math.min(width, (ox + 1) * bin) - ox * bin);
      data[oy * ow + ox] = ((sums[ox] as number) + (count >> 1)) / count;
    }
  }
  return { data, width: ow, height: oh };
}

/** True where a Uint32Array reads R from the lowest byte (every browser and server CPU we target). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** `lumaOverWhite` of one pixel read as a little-endian 32-bit word (R in the low byte, A in the high). */
function wordLumaOverWhite(v: number): number {
  const luma = (77 * (v & 255) + 150 * ((v >> 8) & 255) + 29 * ((v >> 16) & 255) + 128) >> 8;
  const a = v >>> 24;
  return a === 255 ? luma : ((luma * a + 255 * (255 - a) + 127) / 255) | 0;
}

/** Integer BT.601 luma (weights 77, 150, 29 of 256), alpha composited over white; 0–255. */
function lumaOverWhite(rgba: Uint8Array | Uint8ClampedArray, p: number): number {
  const luma =
    (77 * (rgba[p] as number) + 150 * (rgba[p + 1] as number) + 29 * (rgba[p + 2] as number) + 128) >> 8;
  const a = rgba[p + 3] as number;
  return a === 255 ? luma : ((luma * a + 255 * (255 - a) + 127) / 255) | 0;
}

/** Adds one to `bin` of `hist`. */
export function count(hist: Uint32Array, bin: number): void {
  hist[bin] = (hist[bin] as number) + 1;
}

/** A 256-bin histogram of bytes, optionally of the pixels at `indices` only. */
export function byteHistogram(values: Uint8Array, indices?: ArrayLike<number>): Uint32Array {
  const hist = new Uint32Array(HISTOGRAM_BINS);
  if (indices) {
    for (let i = 0; i < indices.length; i++) count(hist, values[indices[i] as number] as number);
  } else {
    for (let i = 0; i < values.length; i++) count(hist, values[i] as number);
  }
  return hist;
}

function binOf(v: number): number {
  const b = (v * (HISTOGRAM_BINS - 1) + 0.5) | 0;
  return b < 0 ? 0 : b >= HISTOGRAM_BINS ? HISTOGRAM_BINS - 1 : b;
}

/** A 256-bin histogram of values in [0, 1], optionally of the pixels at `indices` only. */
export function histogram(values: Float32Array, indices?: ArrayLike<number>): Uint32Array {
  const hist = new Uint32Array(HISTOGRAM_BINS);
  if (indices) {
    for (let i = 0; i < indices.length; i++) count(hist, binOf(values[indices[i] as number] as number));
  } else {
    for (let i = 0; i < values.length; i++) count(hist, binOf(values[i] as number));
  }
  return hist;
}

/**
 * The value below which fraction `q` (0–1) of the counted values lie, from bins `from` to `to`
 * (exclusive) of a histogram; 0 for an empty range.
 */
export function histogramQuantile(hist: Uint32Array, q: number, from = 0, to = HISTOGRAM_BINS): number {
  let total = 0;
  for (let b = from; b < to; b++) total += hist[b] ?? 0;
  if (total === 0) return 0;
  const target = q * total;
  let seen = 0;
  for (let b = from; b < to; b++) {
    seen += hist[b] ?? 0;
    if (seen > target || seen === total) return b / (HISTOGRAM_BINS - 1);
  }
  return (to - 1) / (HISTOGRAM_BINS - 1);
}

/** Median absolute deviation (in value units, not bins) of the values counted in bins `from`…`to` (exclusive). */
export function histogramMad(hist: Uint32Array, from = 0, to = HISTOGRAM_BINS): number {
  const median = Math.round(histogramQuantile(hist, 0.5, from, to) * (HISTOGRAM_BINS - 1));
  const deviations = new Uint32Array(HISTOGRAM_BINS);
  for (let b = from; b < to; b++) {
    const d = Math.abs(b - median);
    deviations[d] = (deviations[d] ?? 0) + (hist[b] ?? 0);
  }
  return histogramQuantile(deviations, 0.5);
}

/** Otsu's threshold: the bin that best splits the histogram into two classes (values ≥ it are the upper class). */
export function otsuThresholdBin(hist: Uint32Array): number {
  let total = 0;
  let sumAll = 0;
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    total += hist[b] ?? 0;
    sumAll += b * (hist[b] ?? 0);
  }
  let weightLow = 0;
  let sumLow = 0;
  let best = 0;
  let bestBin = 1;
  for (let b = 0; b < HISTOGRAM_BINS - 1; b++) {
    weightLow += hist[b] ?? 0;
    sumLow += b * (hist[b] ?? 0);
    const weightHigh = total - weightLow;
    if (weightLow === 0 || weightHigh === 0) continue;
    const meanLow = sumLow / weightLow;
    const meanHigh = (sumAll - sumLow) / weightHigh;
    const between = weightLow * weightHigh * (meanLow - meanHigh) ** 2;
    if (between > best) {
      best = between;
      bestBin = b + 1;
    }
  }
  return bestBin;
}

/**
 * For each source pixel i (0 ≤ i < n), the destination pixels its span [i·scale, (i+1)·scale) overlaps,
 * with the overlap length as weight: the 1-D half of area-averaging resampling.
 */
function areaWeights(
  n: number,
  scale: number,
): { dest: Int32Array; weight: Float32Array; start: Int32Array } {
  const start = new Int32Array(n + 1);
  const dest: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    start[i] = dest.length;
    const a = i * scale;
    const b = (i + 1) * scale;
    for (let j = Math.floor(a); j < b; j++) {
      const overlap = Math.min(b, j + 1) - Math.max(a, j);
      if (overlap > 1e-9) {
        dest.push(j);
        weight.push(overlap);
      }
    }
  }
  start[n] = dest.length;
  return { dest: Int32Array.from(dest), weight: Float32Array.from(weight), start };
}

/**
 * Resamples `box` of `image` by `scale` with area averaging (each destination pixel is the mean of the
 * source area it covers: anti-aliased when shrinking, pixel replication when enlarging). The result is
 * ⌈box.width·scale⌉ × ⌈box.height·scale⌉; a partly covered last row or column is darker, as it should be.
 */
export function resampleArea(image: GreyImage, box: PixelBox, scale: number): GreyImage {
  const width = Math.max(1, Math.ceil(box.width * scale - 1e-6));
  const height = Math.max(1, Math.ceil(box.height * scale - 1e-6));
  const wx = areaWeights(box.width, scale);
  const wy = areaWeights(box.height, scale);
  // Horizontal pass: box.height rows × width columns.
  const rows = new Float32Array(box.height * width);
  for (let y = 0; y < box.height; y++) {
    const srcRow = (box.y + y) * image.width + box.x;
    const dstRow = y * width;
    for (let i = 0; i < box.width; i++) {
      const v = image.data[srcRow + i] ?? 0;
      if (v === 0) continue;
      for (let k = wx.start[i] ?? 0; k < (wx.start[i + 1] ?? 0); k++) {
        const o = dstRow + (wx.dest[k] as number);
        rows[o] = (rows[o] as number) + v * (wx.weight[k] as number);
      }
    }
  }
  // Vertical pass.
  const data = new Float32Array(width * height);
  for (let y = 0; y < box.height; y++) {
    for (let k = wy.start[y] ?? 0; k < (wy.start[y + 1] ?? 0); k++) {
      const dstRow = (wy.dest[k] ?? 0) * width;
      const w = wy.weight[k] ?? 0;
      for (let x = 0; x < width; x++) {
        data[dstRow + x] = (data[dstRow + x] as number) + (rows[y * width + x] as number) * w;
      }
    }
  }
  return { data, width, height };
}

/** Intensity-weighted centre of mass in pixel-index coordinates (pixel (i, j) sits at (i, j)); null if all zero. */
export function centreOfMass(image: GreyImage): { x: number; y: number } | null {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const v = image.data[y * image.width + x] ?? 0;
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass } : null;
}

/**
 * Copies `src` into a new `size × size` image with its top-left pixel at (dx, dy), clipping whatever
 * falls outside.
 */
export function placeInSquare(src: GreyImage, size: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let y = 0; y < src.height; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= size) continue;
    for (let x = 0; x < src.width; x++) {
      const tx = x + dx;
      if (tx < 0 || tx >= size) continue;
      out[ty * size + tx] = Math.min(1, Math.max(0, src.data[y * src.width + x] ?? 0));
    }
  }
  return out;
}
