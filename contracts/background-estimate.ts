import { count, HISTOGRAM_BINS } from './image-ops.ts';

/** Which side of each block's histogram is background: paper is the bright side, a blackboard the dark side. */
export type BackgroundSide = 'light' | 'dark';

/** Fewest pixels along a block's side; images smaller than a few blocks get an almost flat estimate. */
const MIN_BLOCK = 8;
/** Blocks along the image's longer side (more blocks follow lighting more closely, but fit thick strokes worse). */
const BLOCKS_ALONG_LONG_SIDE = 16;
/** The quantile of each block taken as its background level, counted from the background's side. */
const BLOCK_QUANTILE = 0.1;

/**
 * Estimates the background (paper) brightness, in [0, 1], at every pixel of an 8-bit greyscale image, so that uneven light
 * can be divided or subtracted out. The image is cut into about 16 blocks along its longer side; each
 * block's background level is a robust quantile from the background side (10 % from the top for light
 * paper, so ink covering most of a block does not count); a 3 × 3 max (light) or min (dark) over
 * blocks replaces blocks that a thick stroke fills, a 3 × 3 mean smooths the grid, and bilinear
 * interpolation between block centres gives the per-pixel estimate. O(pixels).
 */
export function estimateBackground(
  grey: Uint8Array,
  width: number,
  height: number,
  side: BackgroundSide,
): Float32Array {
  const block = Math.max(MIN_BLOCK, Math.ceil(Math.max(width, height) / BLOCKS_ALONG_LONG_SIDE));
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const levels = blockLevels(grey, width, height, block, cols, rows, side);
  const robust = neighbourhood(levels, cols, rows, side === 'light' ? Math.max : Math.min);
  const smooth = neighbourhoodMean(robust, cols, rows);
  return interpolate(smooth, cols, rows, block, width, height);
}

function blockLevels(
  grey: Uint8Array,
  width: number,
  height: number,
  block: number,
  cols: number,
  rows: number,
  side: BackgroundSide,
): Float32Array {
  const levels = new Float32Array(cols * rows);
  const hist = new Uint32Array(HISTOGRAM_BINS);
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      hist.fill(0);
      const x0 = bx * block;
      const y0 = by * block;
      const x1 = Math.min(width, x0 + block);
      const y1 = Math.min(height, y0 + block);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) count(hist, grey[y * width + x] as number);
      }
      const target = BLOCK_QUANTILE * (x1 - x0) * (y1 - y0);
      let seen = 0;
      let level = 0;
      if (side === 'light') {
        for (let b = HISTOGRAM_BINS - 1; b >= 0; b--) {
          seen += hist[b] ?? 0;
          if (seen > target) {
            level = b;
            break;
          }
        }
      } else {
        for (let b = 0; b < HISTOGRAM_BINS; b++) {
          seen += hist[b] ?? 0;
          if (seen > target) {
            level = b;
            break;
          }
        }
      }
      levels[by * cols + bx] = level / (HISTOGRAM_BINS - 1);
    }
  }
  return levels;
}

function neighbourhood(
  grid: Float32Array,
  cols: number,
  rows: number,
  pick: (a: number, b: number) => number,
): Float32Array {
  const out = new Float32Array(grid.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let v = grid[y * cols + x] ?? 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < cols && ny < rows) v = pick(v, grid[ny * cols + nx] ?? 0);
        }
      }
      out[y * cols + x] = v;
    }
  }
  return out;
}

function neighbourhoodMean(grid: Float32Array, cols: number, rows: number): Float32Array {
  const out = new Float32Array(grid.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < cols && ny < rows) {
            sum += grid[ny * cols + nx] ?? 0;
            n++;
          }
        }
      }
      out[y * cols + x] = sum / n;
    }
  }
  return out;
}

/** Bilinear interpolation between block centres, clamped at the edges. */
function interpolate(
  grid: Float32Array,
  cols: number,
  rows: number,
  block: number,
  width: number,
  height: number,
): Float32Array {
  const out = new Float32Array(width * height);
  const left = new Int32Array(width);
  const frac = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = Math.min(cols - 1, Math.max(0, (x + 0.5) / block - 0.5));
    left[x] = Math.min(Math.max(0, cols - 2), Math.floor(gx));
    frac[x] = gx - (left[x] as number);
  }
  const row = new Float32Array(cols);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(rows - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const y0 = Math.min(Math.max(0, rows - 2), Math.floor(gy));
    const y1 = Math.min(rows - 1, y0 + 1);
    const fy = gy - y0;
    // Interpolate vertically once per row, then only horizontally per pixel.
    for (let c = 0; c < cols; c++) {
      row[c] = (grid[y0 * cols + c] as number) * (1 - fy) + (grid[y1 * cols + c] as number) * fy;
    }
    for (let x = 0; x < width; x++) {
      const x0 = left[x] as number;
      const x1 = Math.min(cols - 1, x0 + 1);
      const fx = frac[x] as number;
      out[y * width + x] = (row[x0] as number) * (1 - fx) + (row[x1] as number) * fx;
    }
  }
  return out;
}
