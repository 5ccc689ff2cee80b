import { mapTotalsLine } from '../totals.ts';
import { forEachLine, LineWriter, runTask } from './line-io.ts';

/** Totals job, map: each partial under its day and under its model version's all-days key. */
runTask(async () => {
  const out = new LineWriter();
  await forEachLine((line) => {
    for (const output of mapTotalsLine(line)) out.write(output);
  }, out);
  await out.end();
});
