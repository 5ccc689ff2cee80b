import { addMalformed, emptyGlobalCounts, GLOBAL_KEY, serializeGlobalCounts } from '../counts.ts';
import { mapLine } from '../join-map.ts';
import { COUNTER_GROUP, forEachLine, LineWriter, reportCounter, runTask } from './line-io.ts';

/** Join job, map: prediction and label lines → `uploadId\tvalue`; its own bookkeeping under `*` at the end. */
runTask(async () => {
  const out = new LineWriter();
  const counts = emptyGlobalCounts();
  let lines = 0;
  await forEachLine((line) => {
    const result = mapLine(line);
    if (result.kind === 'prediction' || result.kind === 'label') out.write(`${result.key}\t${result.value}`);
    if (result.kind === 'prediction') counts.predictionRecords += 1;
    else if (result.kind === 'label') counts.labelRecords += 1;
    else if (result.kind === 'malformed') addMalformed(counts, result.reason);
    if (++lines % 65_536 === 0) reportCounter(COUNTER_GROUP, 'map_input_lines', 65_536);
  }, out);
  out.write(`${GLOBAL_KEY}\t${serializeGlobalCounts(counts)}`);
  await out.end();
  reportCounter(COUNTER_GROUP, 'map_input_lines', lines % 65_536);
  reportCounter(COUNTER_GROUP, 'prediction_records', counts.predictionRecords);
  reportCounter(COUNTER_GROUP, 'label_records', counts.labelRecords);
  for (const [reason, amount] of counts.malformed)
    reportCounter(COUNTER_GROUP, `malformed.${reason}`, amount);
});
