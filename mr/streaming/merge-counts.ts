import { mergeKey, rejectedCountsLine } from '../totals.ts';
import { COUNTER_GROUP, forEachKey, LineWriter, reportCounter, runTask } from './line-io.ts';

/**
 * Totals job, combine and reduce (`node merge-counts.js combine|reduce`): sums the partial counts of each
 * key. The combiner passes values it cannot read on unchanged; the reducer counts them as malformed.
 */
runTask(async () => {
  const combine = process.argv[2] === 'combine';
  const out = new LineWriter();
  let rejected = 0;
  await forEachKey((key, values) => {
    const merged = mergeKey(key, values);
    if (merged.line !== null) out.write(merged.line);
    if (combine) for (const value of merged.rejected) out.write(`${key}\t${value}`);
    else rejected += merged.rejected.length;
  }, out);
  if (rejected > 0) out.write(rejectedCountsLine(rejected));
  await out.end();
  reportCounter(COUNTER_GROUP, 'rejected_counts_values', rejected);
});
