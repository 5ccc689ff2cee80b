import { seededRandom } from '../../test/support/seeded-random.ts';
import type { ManifestLabels } from '../class-order.ts';
import { addMalformed, emptyGlobalCounts, GLOBAL_KEY, serializeGlobalCounts } from '../counts.ts';
import { mapLine } from '../join-map.ts';
import { JoinAccumulator, reduceKey } from '../join-reduce.ts';
import { keyLength, partitionOf } from '../partition.ts';
import { mapTotalsLine, mergeKey, rejectedCountsLine, splitKeyValue } from '../totals.ts';

/**
 * Both jobs in memory through the pure core, with the framework's moves made explicit: lines dealt to
 * `mappers` splits at random, map output hash-partitioned to `reducers`, each partition sorted and
 * grouped by key; the totals job with its combiner per map task. Returns the totals job's output lines.
 * The tests use it to check the core against the reference under many layouts, fast.
 */
export function simulateJobs(
  lines: readonly string[],
  layout: { mappers: number; reducers: number; seed: number },
  /** Given to the join reducers, as the runners do: labels outside them are counted as invalid. */
  classLists?: ManifestLabels,
): string[] {
  const random = seededRandom(layout.seed);
  const encoder = new TextEncoder();
  const splits: string[][] = Array.from({ length: layout.mappers }, () => []);
  for (const line of lines) splits[Math.floor(random() * layout.mappers)]?.push(line);

  const partitions: string[][] = Array.from({ length: layout.reducers }, () => []);
  const collect = (output: string) => {
    const bytes = encoder.encode(output);
    partitions[partitionOf(bytes, layout.reducers, keyLength(bytes))]?.push(output);
  };
  for (const split of splits) {
    const stats = emptyGlobalCounts();
    for (const line of split) {
      const result = mapLine(line);
      if (result.kind === 'prediction' || result.kind === 'label') collect(`${result.key}\t${result.value}`);
      if (result.kind === 'prediction') stats.predictionRecords += 1;
      else if (result.kind === 'label') stats.labelRecords += 1;
      else if (result.kind === 'malformed') addMalformed(stats, result.reason);
    }
    collect(`${GLOBAL_KEY}\t${serializeGlobalCounts(stats)}`);
  }
  const joinOutput = partitions.flatMap((partition) => {
    const sums = new JoinAccumulator(classLists);
    for (const [key, values] of groupSorted(partition)) {
      if (key === GLOBAL_KEY) sums.addGlobal(values);
      else sums.add(reduceKey(key, values));
    }
    return sums.lines();
  });

  // Totals: two map tasks, the combiner on each, one reducer.
  const mapOutputs: string[][] = [[], []];
  for (const line of joinOutput) mapOutputs[Math.floor(random() * 2)]?.push(...mapTotalsLine(line));
  const combined = mapOutputs.flatMap((output) =>
    groupSorted(output).flatMap(([key, values]) => {
      const merged = mergeKey(key, values);
      return [...(merged.line === null ? [] : [merged.line]), ...merged.rejected.map((v) => `${key}\t${v}`)];
    }),
  );
  let rejected = 0;
  const reduced = groupSorted(combined).flatMap(([key, values]) => {
    const merged = mergeKey(key, values);
    rejected += merged.rejected.length;
    return merged.line === null ? [] : [merged.line];
  });
  return rejected > 0 ? [...reduced, rejectedCountsLine(rejected)] : reduced;
}

/** What the shuffle hands a reducer: lines sorted, values grouped under their key. */
function groupSorted(lines: readonly string[]): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const line of [...lines].sort()) {
    const { key, value } = splitKeyValue(line);
    const values = groups.get(key);
    if (values) values.push(value);
    else groups.set(key, [value]);
  }
  return [...groups.entries()];
}
