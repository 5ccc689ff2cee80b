import { describe, expect, it } from 'vitest';
import { estimateBackground } from './background-estimate.ts';
import { labelComponents } from './connected-components.ts';
import {
  byteHistogram,
  centreOfMass,
  histogramQuantile,
  otsuThresholdBin,
  placeInSquare,
  resampleArea,
  toGreyscale,
} from './image-ops.ts';

describe('toGreyscale', () => {
  it('composites transparent pixels over white and weights channels like BT.601', () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128]);
    expect([...toGreyscale(rgba, 4, 1).data]).toEqual([77, 149, 255, 127]);
  });

  it('averages bin × bin blocks, partial blocks at the edges included', () => {
    const grey = [0, 100, 200, 10, 20, 30];
    const rgba = Uint8Array.from(grey.flatMap((v) => [v, v, v, 255]));
    const binned = toGreyscale(rgba, 3, 2, 2);
    expect(binned).toMatchObject({ width: 2, height: 1 });
    expect([...binned.data]).toEqual([33, 115]);
  });

  it('bins the same bytes whether the pixels start at a 4-byte boundary or not', () => {
    // Aligned buffers are read a pixel (32 bits) at a time, others a byte at a time.
    const width = 37;
    const height = 23;
    const bytes = Uint8Array.from({ length: width * height * 4 }, (_, i) =>
      i % 4 === 3 ? ((i * 53) % 7 === 0 ? (i * 31) % 256 : 255) : (i * 97 + 13) % 256,
    );
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    for (const bin of [2, 3]) {
      expect(toGreyscale(shifted, width, height, bin)).toEqual(toGreyscale(bytes, width, height, bin));
      expect(toGreyscale(Uint8ClampedArray.from(bytes), width, height, bin)).toEqual(
        toGreyscale(bytes, width, height, bin),
      );
    }
  });
});

describe('histograms', () => {
  it('finds quantiles and the Otsu split of a two-level image', () => {
    const values = new Uint8Array(100).fill(20);
    values.fill(200, 70);
    const hist = byteHistogram(values);
    expect(histogramQuantile(hist, 0.5) * 255).toBeCloseTo(20);
    expect(histogramQuantile(hist, 0.9) * 255).toBeCloseTo(200);
    const split = otsuThresholdBin(hist);
    expect(split).toBeGreaterThan(20);
    expect(split).toBeLessThanOrEqual(200);
  });
});

describe('resampleArea', () => {
  const image = { data: Float32Array.from({ length: 16 }, (_, i) => i / 15), width: 4, height: 4 };

  it('copies a crop unchanged at scale 1', () => {
    const out = resampleArea(image, { x: 1, y: 1, width: 2, height: 2 }, 1);
    expect(out).toMatchObject({ width: 2, height: 2 });
    expect([...out.data]).toEqual([5 / 15, 6 / 15, 9 / 15, 10 / 15].map(Math.fround));
  });

  it('averages areas when shrinking, conserving mean intensity', () => {
    const out = resampleArea(image, { x: 0, y: 0, width: 4, height: 4 }, 0.5);
    expect(out).toMatchObject({ width: 2, height: 2 });
    expect(out.data[0]).toBeCloseTo((0 + 1 + 4 + 5) / 4 / 15, 6);
    const meanIn = image.data.reduce((a, b) => a + b, 0) / 16;
    expect(out.data.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(meanIn, 6);
  });

  it('darkens a partly covered last column instead of stretching the image', () => {
    const ones = { data: new Float32Array(9).fill(1), width: 3, height: 3 };
    const out = resampleArea(ones, { x: 0, y: 0, width: 3, height: 3 }, 0.5);
    expect(out).toMatchObject({ width: 2, height: 2 });
    expect([...out.data]).toEqual([1, 0.5, 0.5, 0.25]);
  });
});

describe('centreOfMass and placeInSquare', () => {
  it('measures the centre in pixel-index coordinates and places with clipping', () => {
    const dot = { data: Float32Array.from([0, 0, 0, 1]), width: 2, height: 2 };
    expect(centreOfMass(dot)).toEqual({ x: 1, y: 1 });
    expect(centreOfMass({ data: new Float32Array(4), width: 2, height: 2 })).toBeNull();
    const placed = placeInSquare(dot, 3, 1, 1);
    expect([...placed]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...placeInSquare(dot, 3, 2, 2)]).toEqual(new Array(9).fill(0));
  });
});

describe('labelComponents', () => {
  it('joins diagonal neighbours and measures each blob', () => {
    // 1 . . 1
    // . 1 . .
    // . . . 1
    const grid = Float32Array.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0.5]);
    const { labels, components } = labelComponents(grid, 4, 3);
    expect(components).toHaveLength(3);
    expect(components[0]).toMatchObject({ area: 2, mass: 2, minX: 0, minY: 0, maxX: 1, maxY: 1 });
    expect(components[2]).toMatchObject({ area: 1, mass: 0.5, touchesBorder: true });
    expect(labels[5]).toBe(labels[0]);
    expect(labels[2]).toBe(0);
  });
});

describe('estimateBackground', () => {
  it('follows a lighting gradient and ignores dark strokes', () => {
    const width = 128;
    const height = 64;
    const grey = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const paper = Math.round(240 - 0.7 * x); // 37 % darker at the right
        const stroke = Math.abs(y - 32) < 3 && x > 20 && x < 100;
        grey[y * width + x] = stroke ? 30 : paper;
      }
    }
    const background = estimateBackground(grey, width, height, 'light');
    for (const x of [10, 64, 120]) {
      expect(background[32 * width + x] ?? 0).toBeCloseTo((240 - 0.7 * x) / 255, 1);
    }
  });
});
