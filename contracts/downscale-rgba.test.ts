import { describe, expect, it } from 'vitest';
import { downscaleRgba } from './downscale-rgba.ts';

function rgba(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { data, width, height };
}

describe('downscaleRgba', () => {
  it('returns an image that already fits as it is', () => {
    const image = rgba(20, 10, () => [1, 2, 3, 255]);
    expect(downscaleRgba(image, 20)).toBe(image);
  });

  it('averages each block of source pixels into one output pixel', () => {
    // A 4 × 2 checkerboard of 0 and 200 halves to 2 × 1 pixels of 100.
    const image = rgba(4, 2, (x, y) => ((x + y) % 2 ? [200, 200, 200, 255] : [0, 0, 0, 255]));
    const out = downscaleRgba(image, 2);
    expect(out.width).toBe(2);
    expect(out.height).toBe(1);
    expect(Array.from(out.data)).toEqual([100, 100, 100, 255, 100, 100, 100, 255]);
  });

  it('weighs pixels a fractional output pixel only partly covers by the share it covers', () => {
    // Three pixels 0, 90, 180 into two: [0, 90 / 2] and [90 / 2, 180], i.e. 30 and 150.
    const image = rgba(3, 1, (x) => [x * 90, x * 90, x * 90, 255]);
    const out = downscaleRgba(image, 2);
    expect(Array.from(out.data.subarray(0, 1))).toEqual([30]);
    expect(Array.from(out.data.subarray(4, 5))).toEqual([150]);
  });

  it('composites transparent pixels over white, so transparent PNG paper stays white', () => {
    const image = rgba(4, 4, (x) => (x < 2 ? [0, 0, 0, 0] : [0, 0, 0, 255]));
    const out = downscaleRgba(image, 2);
    expect(Array.from(out.data)).toEqual([
      255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
  });

  it('keeps a flat image flat at any ratio', () => {
    const out = downscaleRgba(
      rgba(1201, 899, () => [37, 120, 250, 255]),
      512,
    );
    expect(out.width).toBe(512);
    expect(out.height).toBe(383);
    const pixels = new Set<string>();
    for (let p = 0; p < out.data.length; p += 4) pixels.add(out.data.subarray(p, p + 4).join(','));
    expect([...pixels]).toEqual(['37,120,250,255']);
  });
});
