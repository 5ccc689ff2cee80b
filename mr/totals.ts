import {
  ALL_DAYS,
  addMalformed,
  emptyGlobalCounts,
  emptyGroupCounts,
  GLOBAL_KEY,
  groupKey,
  mergeGlobalCounts,
  mergeGroupCounts,
  parseGlobalCounts,
  parseGroupCounts,
  parseGroupKey,
  serializeGlobalCounts,
  serializeGroupCounts,
} from './counts.ts';

/** Splits a streaming line into key and value at the first tab (no tab: the whole line is the key). */
export function splitKeyValue(line: string): { key: string; value: string } {
  const tab = line.indexOf('\t');
  return tab < 0 ? { key: line, value: '' } : { key: line.slice(0, tab), value: line.slice(tab + 1) };
}

/**
 * The totals job's mapper: passes each partial on under its own key (one day) and again under the
 * model version's all-days key, so that the reducer sums both. Global counts pass through unchanged.
 * Returns the output lines.
 */
export function mapTotalsLine(line: string): string[] {
  if (line.trim() === '') return [];
  const { key, value } = splitKeyValue(line);
  const group = parseGroupKey(key);
  if (group === null || group.day === ALL_DAYS) return [line];
  return [line, `${groupKey(group.model, group.version, ALL_DAYS)}\t${value}`];
}

/** The sum of one key's partial counts, and the values that did not parse. */
export interface MergedKey {
  /** `key\tvalue`, or null when no value parsed. */
  readonly line: string | null;
  readonly rejected: readonly string[];
}

/**
 * The totals job's combiner and reducer: sums the partial counts of one key. Global and group counts
 * are told apart by the key. Values that do not parse come back in `rejected`: the combiner passes
 * them on under the same key (a combiner must not emit other keys), the reducer counts them.
 */
export function mergeKey(key: string, values: readonly string[]): MergedKey {
  const rejected: string[] = [];
  if (key === GLOBAL_KEY) {
    const total = emptyGlobalCounts();
    let merged = 0;
    for (const value of values) {
      try {
        mergeGlobalCounts(total, parseGlobalCounts(value));
        merged += 1;
      } catch {
        rejected.push(value);
      }
    }
    return { line: merged > 0 ? `${GLOBAL_KEY}\t${serializeGlobalCounts(total)}` : null, rejected };
  }
  if (parseGroupKey(key) === null) return { line: null, rejected: [...values] };
  const total = emptyGroupCounts();
  let merged = 0;
  for (const value of values) {
    try {
      mergeGroupCounts(total, parseGroupCounts(value));
      merged += 1;
    } catch {
      rejected.push(value);
    }
  }
  return { line: merged > 0 ? `${key}\t${serializeGroupCounts(total)}` : null, rejected };
}

/** The reducer's line for values it could not merge: counted as malformed in the global counts. */
export function rejectedCountsLine(rejected: number): string {
  const counts = emptyGlobalCounts();
  addMalformed(counts, 'invalid_counts_value', rejected);
  return `${GLOBAL_KEY}\t${serializeGlobalCounts(counts)}`;
}
