import { describe, expect, it } from 'vitest';
import { fitInside } from './image-size.ts';

describe('fitInside', () => {
  it('scales the long side down to the limit and never enlarges', () => {
    expect(fitInside(4032, 3024, 1024)).toEqual({ width: 1024, height: 768 });
    expect(fitInside(900, 1200, 512)).toEqual({ width: 384, height: 512 });
    expect(fitInside(28, 28, 512)).toEqual({ width: 28, height: 28 });
  });

  it('keeps at least one pixel on the short side of a sliver', () => {
    expect(fitInside(10_000, 1, 512)).toEqual({ width: 512, height: 1 });
  });
});
