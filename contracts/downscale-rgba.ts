/**
 * The one downscale that both sides use before `preprocess`: the gpu-host after sharp decodes an upload
 * at full size, the browser after canvas decodes the same bytes at full size. Canvas ('high' quality) and
 * libvips (shrink-on-load, then Lanczos 3) resample differently, and a faint fine-liner digit can tip
 * either way between them; doing the scaling here, in plain arithmetic that V8 evaluates identically
 * everywhere, leaves only the decoders' differences. Pure: no DOM, no Node APIs.
 */
import { fitInside } from './image-size.ts';
import type { RgbaImage } from './preprocess.ts';

/**
 * Box-filter (area-average) weights along one axis, scaled down from `from` to `to` pixels: source pixel
 * i covers [i, i + 1), output pixel j averages [j·r, (j + 1)·r) with r = from / to ≥ 1, so each source
 * pixel falls into output `index[i]` with weight `first[i]` and into the next one with `second[i]`.
 */
function areaWeights(from: number, to: number) {
  const ratio = from / to;
  const index = new Int32Array(from);
  const first = new Float64Array(from);
  const second = new Float64Array(from);
  for (let i = 0; i < from; i++) {
    const j = Math.min(to - 1, Math.floor(i / ratio));
    const boundary = (j + 1) * ratio;
    index[i] = j;
    if (i + 1 <= boundary || j === to - 1) first[i] = 1 / ratio;
    else {
      first[i] = (boundary - i) / ratio;
      second[i] = (i + 1 - boundary) / ratio;
    }
  }
  return { index, first, second };
}

/**
 * `image` area-averaged so that its long side is at most `longSide` (returned as it is when already
 * that small). Each pixel is first composited over white, as `preprocess` would (a transparent PNG is
 * white paper), so the result is opaque. Deterministic to the byte in Node and in browsers.
 */
export function downscaleRgba(image: RgbaImage, longSide: number): RgbaImage {
  const { data, width, height } = image;
  const out = fitInside(width, height, longSide);
  if (out.width === width && out.height === height) return image;
  const wx = areaWeights(width, out.width);
  const wy = areaWeights(height, out.height);
  const stride = out.width * 3;
  // Each source row is scattered into its output row(s) as it is read: one pass over the source, two
  // multiply-adds per channel and axis (each source pixel overlaps at most two output pixels).
  const sums = new Float64Array(stride * out.height);
  const row = new Float64Array(stride);
  for (let y = 0; y < height; y++) {
    row.fill(0);
    for (let x = 0, p = y * width * 4; x < width; x++, p += 4) {
      let r = data[p] as number;
      let g = data[p + 1] as number;
      let b = data[p + 2] as number;
      const a = data[p + 3] as number;
      if (a !== 255) {
        const white = 255 - a;
        r = (r * a) / 255 + white;
        g = (g * a) / 255 + white;
        b = (b * a) / 255 + white;
      }
      const q = (wx.index[x] as number) * 3;
      const w1 = wx.first[x] as number;
      row[q] = (row[q] as number) + r * w1;
      row[q + 1] = (row[q + 1] as number) + g * w1;
      row[q + 2] = (row[q + 2] as number) + b * w1;
      const w2 = wx.second[x] as number;
      if (w2 > 0) {
        row[q + 3] = (row[q + 3] as number) + r * w2;
        row[q + 4] = (row[q + 4] as number) + g * w2;
        row[q + 5] = (row[q + 5] as number) + b * w2;
      }
    }
    const o = (wy.index[y] as number) * stride;
    const h1 = wy.first[y] as number;
    for (let k = 0; k < stride; k++) sums[o + k] = (sums[o + k] as number) + (row[k] as number) * h1;
    const h2 = wy.second[y] as number;
    if (h2 > 0) {
      for (let k = 0; k < stride; k++)
        sums[o + stride + k] = (sums[o + stride + k] as number) + (row[k] as number) * h2;
    }
  }
  const result = new Uint8ClampedArray(out.width * out.height * 4);
  for (let i = 0, p = 0; i < sums.length; i += 3, p += 4) {
    result[p] = Math.round(sums[i] as number);
    result[p + 1] = Math.round(sums[i + 1] as number);
    result[p + 2] = Math.round(sums[i + 2] as number);
    result[p + 3] = 255;
  }
  return { data: result, width: out.width, height: out.height };
}
