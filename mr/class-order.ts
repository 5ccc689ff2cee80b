/** Class lists of the models that have a manifest: model → version → labels in output order. */
export type ManifestLabels = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Numeric-aware order: numbers by value before other labels, which go by code unit order
 * (locale-free, so every machine agrees). "2" < "10" < "cat" < "dog".
 */
export function compareLabels(a: string, b: string): number {
  const an = NUMBER.test(a);
  const bn = NUMBER.test(b);
  if (an && bn) {
    const d = Number(a) - Number(b);
    if (d !== 0) return d;
  } else if (an !== bn) {
    return an ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A model version's class list: the manifest's labels in its order (all of them, seen or not), then
 * any other label seen (a person may label outside the model's classes), numeric-aware.
 * @example orderClasses(['10', 'x', '2'], undefined) // ['2', '10', 'x']
 */
export function orderClasses(seen: Iterable<string>, manifest: readonly string[] | undefined): string[] {
  const first = manifest ?? [];
  const known = new Set(first);
  const rest = [...new Set(seen)].filter((label) => !known.has(label)).sort(compareLabels);
  return [...first, ...rest];
}
