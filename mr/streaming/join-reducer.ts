import { readFileSync } from 'node:fs';
import type { ManifestLabels } from '../class-order.ts';
import { GLOBAL_KEY } from '../counts.ts';
import { JoinAccumulator, reduceKey } from '../join-reduce.ts';
import { COUNTER_GROUP, forEachKey, LineWriter, reportCounter, runTask } from './line-io.ts';

/**
 * Join job, reduce: each uploadId's values → one joined upload, summed into partial counts per model,
 * version, day. `node join-reducer.js [class-lists.json]`: with the models' class lists, labels outside
 * them are counted as invalid instead of becoming classes.
 */
runTask(async () => {
  const classListsFile = process.argv[2];
  const classLists =
    classListsFile === undefined
      ? undefined
      : (JSON.parse(readFileSync(classListsFile, 'utf8')) as ManifestLabels);
  const sums = new JoinAccumulator(classLists);
  const out = new LineWriter();
  let uploads = 0;
  await forEachKey((key, values) => {
    if (key === GLOBAL_KEY) {
      sums.addGlobal(values);
      return;
    }
    sums.add(reduceKey(key, values));
    if (++uploads % 65_536 === 0) reportCounter(COUNTER_GROUP, 'reduce_uploads', 65_536);
  });
  for (const line of sums.lines()) out.write(line);
  await out.end();
  reportCounter(COUNTER_GROUP, 'reduce_uploads', uploads % 65_536);
});
