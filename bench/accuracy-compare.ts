/**
 * Where two metrics documents differ, or null: integers (every count) must be equal, other numbers
 * equal to 12 decimal places, everything else identical. The benchmark checks the runner against the
 * in-memory baseline with it (the tests use the Vitest twin in mr/testing/expect-same-metrics.ts).
 */
export function firstDifference(actual: unknown, expected: unknown, path = '$'): string | null {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected) && Number.isInteger(actual))
      return actual === expected ? null : `${path}: ${actual} ≠ ${expected}`;
    return Math.abs(actual - expected) < 5e-13 ? null : `${path}: ${actual} ≠ ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: length differs`;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `${path}: not an object`;
    const a = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(expected)]);
    for (const key of keys) {
      const d = firstDifference(a[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return actual === expected ? null : `${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`;
}
