import { GLOBAL_KEY } from '../counts.ts';
import { JoinAccumulator, reduceKey } from '../join-reduce.ts';
import { COUNTER_GROUP, forEachKey, LineWriter, reportCounter, runTask } from './line-io.ts';

/** Join job, reduce: each uploadId's values → one joined upload, summed into partial counts per model, version, day. */
runTask(async () => {
  const sums = new JoinAccumulator();
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
