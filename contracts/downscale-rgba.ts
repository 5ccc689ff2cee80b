/**
 * The one downscale that both sides use before `preprocess`: the gpu-host after sharp decodes an upload
 * at full size, the browser after canvas decodes the same bytes at full size. Canvas ('high' quality) and
 * libvips (shrink-on-load, then Lanczos 3) resample differently, and a faint fine-liner digit can tip
 * either way between them; doing the scaling here, in plain arithmetic that V8 evaluates identically
 * everywhere, leaves only the decoders' differences. Pure: no DOM, no Node APIs.
 */
import type { RgbaImage } from './preprocess.ts';

/** One output pixel's sources along an axis: first source index and the weight of each source. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  offsets: Int32Array;
}

/** Box-filter (area-average) taps: output pixel j averages source interval [j·r, (j+1)·r), r = from / to. */
function areaTaps(from: number, to: number): Taps {
  const ratio = from / to;
  const first = new Int32Array(to);
  const count = new Int32Array(to);
  const offsets = new Int32Array(to);
  const all: number[] = [];
  for (let j = 0; j < to; j++) {
    const start = j * ratio;
    const end = Math.min(from, (j + 1) * ratio);
    const i0 = Math.floor(start);
    const i1 = Math.min(from, Math.ceil(end));
    first[j] = i0;
    count[j] = i1 - i0;
    offsets[j] = all.length;
    for (let i = i0; i < i1; i++) all.push((Math.min(end, i + 1) - Math.max(start, i)) / (end - start));
  }
  return { first, count, weights: Float64Array.from(all), offsets };
}

/** Width and height scaled so that the long side is at most `longSide`; never enlarged. */
export function fitInside(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
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
  const tx = areaTaps(width, out.width);
  const ty = areaTaps(height, out.height);
  // Horizontal pass: every source row becomes out.width RGB values (over white).
  const rows = new Float32Array(out.width * height * 3);
  const line = new Float64Array(width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0, p = y * width * 4, q = 0; x < width; x++, p += 4, q += 3) {
      const a = (data[p + 3] as number) / 255;
      const white = 255 * (1 - a);
      line[q] = (data[p] as number) * a + white;
      line[q + 1] = (data[p + 1] as number) * a + white;
      line[q + 2] = (data[p + 2] as number) * a + white;
    }
    for (let j = 0, o = y * out.width * 3; j < out.width; j++, o += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      const w0 = tx.offsets[j] as number;
      const n = tx.count[j] as number;
      for (let k = 0, q = (tx.first[j] as number) * 3; k < n; k++, q += 3) {
        const w = tx.weights[w0 + k] as number;
        r += (line[q] as number) * w;
        g += (line[q + 1] as number) * w;
        b += (line[q + 2] as number) * w;
      }
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  // Vertical pass.
  const result = new Uint8ClampedArray(out.width * out.height * 4);
  const stride = out.width * 3;
  for (let j = 0; j < out.height; j++) {
    const w0 = ty.offsets[j] as number;
    const n = ty.count[j] as number;
    const y0 = ty.first[j] as number;
    for (let x = 0; x < out.width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0, q = y0 * stride + x * 3; k < n; k++, q += stride) {
        const w = ty.weights[w0 + k] as number;
        r += (rows[q] as number) * w;
        g += (rows[q + 1] as number) * w;
        b += (rows[q + 2] as number) * w;
      }
      const p = (j * out.width + x) * 4;
      result[p] = Math.round(r);
      result[p + 1] = Math.round(g);
      result[p + 2] = Math.round(b);
      result[p + 3] = 255;
    }
  }
  return { data: result, width: out.width, height: out.height };
}
