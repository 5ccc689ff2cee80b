import { formatClassification } from '../contracts/inference-api.ts';
import { topIndices } from '../contracts/top-k.ts';

/**
 * Triton's classification extension: instead of the raw output `[batch, classes]`, the `k` highest
 * values of each row as BYTES strings `value:index:label`, shape `[batch, k]`, row after row.
 *
 * @example classificationStrings(Float32Array.of(0.1, 0.7, 0.2), 3, ['a', 'b', 'c'], 2) // ['0.7…:1:b', '0.2…:2:c']
 */
export function classificationStrings(
  output: Float32Array,
  classes: number,
  labels: readonly string[],
  k: number,
): string[] {
  const rows = output.length / classes;
  const strings: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = output.subarray(r * classes, (r + 1) * classes);
    for (const index of topIndices(row, k)) {
      strings.push(formatClassification(row[index] as number, index, labels[index]));
    }
  }
  return strings;
}
