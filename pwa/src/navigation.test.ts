import { describe, expect, it } from 'vitest';
import { routeOf } from './navigation.ts';

describe('routeOf', () => {
  it('reads the page from the hash, and falls back to Classify', () => {
    expect(routeOf('#/history')).toBe('history');
    expect(routeOf('#/accuracy?run=1')).toBe('accuracy');
    expect(routeOf('#history')).toBe('history');
    expect(routeOf('')).toBe('classify');
    expect(routeOf('#/nowhere')).toBe('classify');
  });
});
