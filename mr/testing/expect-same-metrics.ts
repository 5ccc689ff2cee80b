import { expect } from 'vitest';

/**
 * Deep comparison of two metrics documents: integers (every count) must be equal, other numbers equal
 * to 12 decimal places, everything else identical. Failures name the path, e.g. `$.models[0].kappa`.
 */
export function expectSameMetrics(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected) && Number.isInteger(actual)) expect(actual, path).toBe(expected);
    else expect(actual, path).toBeCloseTo(expected, 12);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    const list = actual as unknown[];
    expect(list.length, `${path}.length`).toBe(expected.length);
    for (const [i, item] of expected.entries()) expectSameMetrics(list[i], item, `${path}[${i}]`);
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    expect(typeof actual === 'object' && actual !== null, `${path} is an object`).toBe(true);
    const record = actual as Record<string, unknown>;
    expect(Object.keys(record).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected))
      expectSameMetrics(record[key], value, `${path}.${key}`);
    return;
  }
  expect(actual, path).toEqual(expected);
}
