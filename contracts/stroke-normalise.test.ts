import { describe, expect, it } from 'vitest';
import { MNIST_STROKE_RATIO, normaliseStrokes } from './stroke-normalise.ts';

const SIDE = 120;

/** A blank ink image with `draw(x, y)` deciding each pixel (1 = ink). */
function inkImage(draw: (x: number, y: number) => boolean): Float32Array {
  const ink = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) ink[y * SIDE + x] = draw(x, y) ? 1 : 0;
  return ink;
}

const inside = (x: number, y: number, x0: number, y0: number, x1: number, y1: number) =>
  x >= x0 && x <= x1 && y >= y0 && y <= y1;
const box = { x: 10, y: 10, width: 100, height: 100 };

describe('normaliseStrokes', () => {
  it('fills an outline digit: a hollow bar (a bubble "1") becomes a solid stroke', () => {
    // Outer 52..68 × 10..109, pen 2 px: the inside is a narrow, long hole.
    const ink = inkImage((x, y) => inside(x, y, 52, 10, 68, 109) && !inside(x, y, 54, 12, 66, 107));
    const result = normaliseStrokes(ink, SIDE, SIDE, { x: 52, y: 10, width: 17, height: 100 });
    expect(result.filledHoles).toBe(1);
    expect(ink[60 * SIDE + 60]).toBeGreaterThan(0.5);
  });

  it('leaves the narrow loop of a digit drawn with an MNIST-width pen open (a squashed 8 is no outline)', () => {
    // Outer 43..76 × 20..99, pen 10 px (0.125 of the box, MNIST's width): the hole, 14 × 60, is as narrow
    // and elongated as an outline's inside, but the pen is too wide to be drawing an outline.
    const ink = inkImage((x, y) => inside(x, y, 43, 20, 76, 99) && !inside(x, y, 53, 30, 66, 89));
    const result = normaliseStrokes(ink, SIDE, SIDE, { x: 43, y: 20, width: 34, height: 80 });
    expect(result.filledHoles).toBe(0);
    expect(ink[60 * SIDE + 60]).toBe(0);
  });

  it('leaves the round loop of a 0 open', () => {
    const ink = inkImage((x, y) => {
      const r = Math.hypot((x - 60) / 35, (y - 60) / 50);
      return r <= 1 && r >= 0.85;
    });
    const result = normaliseStrokes(ink, SIDE, SIDE, box);
    expect(result.filledHoles).toBe(0);
    expect(ink[60 * SIDE + 60]).toBe(0);
  });

  it("thickens a fine-liner stroke to about MNIST's width relative to the digit", () => {
    const ink = inkImage((x, y) => inside(x, y, 60, 10, 61, 109)); // a 2 px wide "1", 100 px tall
    const result = normaliseStrokes(ink, SIDE, SIDE, { x: 60, y: 10, width: 2, height: 100 });
    expect(result.radius).toBeGreaterThan(0);
    let width = 0;
    for (let x = 0; x < SIDE; x++) if ((ink[60 * SIDE + x] ?? 0) >= 0.5) width++;
    expect(width).toBeGreaterThanOrEqual(Math.round(MNIST_STROKE_RATIO * 100) - 2);
    expect(width).toBeLessThanOrEqual(Math.round(MNIST_STROKE_RATIO * 100) + 2);
  });

  it('leaves a stroke of MNIST-like width alone', () => {
    const ink = inkImage((x, y) => inside(x, y, 55, 10, 66, 109));
    const before = Float32Array.from(ink);
    const result = normaliseStrokes(ink, SIDE, SIDE, { x: 55, y: 10, width: 12, height: 100 });
    expect(result.radius).toBe(0);
    expect(ink).toEqual(before);
  });
});
