import { opendirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labelRecordSchema } from '../contracts/labels.ts';
import { predictionSchema } from '../contracts/prediction.ts';
import {
  ALL_DAYS,
  addMalformed,
  addScored,
  emptyGlobalCounts,
  emptyGroupCounts,
  GLOBAL_KEY,
  type GroupCounts,
  groupKey,
  serializeGlobalCounts,
  serializeGroupCounts,
} from '../mr/counts.ts';
import { finalizeMetrics } from '../mr/finalize.ts';
import { loadManifestLabels } from '../mr/manifest-labels.ts';

/**
 * The benchmark's baseline: the same metrics in one process, all in memory, the obvious way. Reads
 * every file, parses and validates each line with the same schemas, joins predictions and labels in
 * Maps with the same rules, and computes the metrics with the same final step.
 * `tsx bench/accuracy-baseline.ts <records dir> <metrics out.json>`
 */
const [inputDir, outFile] = process.argv.slice(2);
if (!inputDir || !outFile) throw new Error('usage: accuracy-baseline <records dir> <metrics.json>');

interface KeptPrediction {
  model: string;
  version: string;
  label: string;
  confidence: number;
  predictedAt: string;
  outOfDistribution: boolean;
  at: number;
  copies: number;
}
interface KeptLabel {
  labelId: string;
  label: string;
  device: string | undefined;
  asked: boolean;
  at: number;
}

const global = emptyGlobalCounts();
const predictions = new Map<string, KeptPrediction>();
const labels = new Map<string, { list: KeptLabel[]; copies: number }>();

/** Reads one line into the maps; returns why it is malformed, or null. */
function onLine(text: string): string | null {
  const line = text.trim();
  if (line === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'invalid_json';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not_an_object';
  const isPrediction = 'predictedAt' in json;
  if (isPrediction === 'labelId' in json) return 'unknown_record';
  if (isPrediction) {
    const parsed = predictionSchema.safeParse(json);
    if (!parsed.success) return `invalid_prediction.${parsed.error.issues[0]?.path.join('.')}`;
    const p = parsed.data;
    global.predictionRecords += 1;
    const at = Date.parse(p.predictedAt);
    const seen = predictions.get(p.uploadId);
    const kept = {
      model: p.model,
      version: p.modelVersion,
      label: p.label,
      confidence: p.confidence,
      predictedAt: p.predictedAt,
      outOfDistribution: p.outOfDistribution === true,
      at,
      copies: 1,
    };
    if (seen === undefined) predictions.set(p.uploadId, kept);
    else if (at > seen.at || (at === seen.at && p.label > seen.label))
      predictions.set(p.uploadId, { ...kept, copies: seen.copies + 1 });
    else seen.copies += 1;
    return null;
  }
  const parsed = labelRecordSchema.safeParse(json);
  if (!parsed.success) return `invalid_label.${parsed.error.issues[0]?.path.join('.')}`;
  const l = parsed.data;
  global.labelRecords += 1;
  let upload = labels.get(l.uploadId);
  if (upload === undefined) {
    upload = { list: [], copies: 0 };
    labels.set(l.uploadId, upload);
  }
  if (upload.list.some((x) => x.labelId === l.labelId)) upload.copies += 1;
  else
    upload.list.push({
      labelId: l.labelId,
      label: l.label,
      device: l.device?.label,
      asked: l.source === 'asked',
      at: Date.parse(l.labeledAt),
    });
  return null;
}

function walk(dir: string): void {
  let handle: ReturnType<typeof opendirSync>;
  try {
    handle = opendirSync(dir);
  } catch {
    return;
  }
  const subdirectories: string[] = [];
  for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
    if (entry.isDirectory()) subdirectories.push(entry.name);
    else if (entry.isFile()) {
      for (const line of readFileSync(path.join(dir, entry.name), 'utf8').split('\n')) {
        const malformed = onLine(line);
        if (malformed !== null) addMalformed(global, malformed);
      }
    }
  }
  handle.closeSync();
  for (const name of subdirectories.sort()) walk(path.join(dir, name));
}

// The models' class lists: a label outside its model version's labels is counted as invalid, as the job does.
const manifests = await loadManifestLabels('models');
const isClass = (model: string, version: string, label: string) =>
  manifests[model]?.[version]?.includes(label) ?? false;

walk(path.join(inputDir, 'predictions'));
walk(path.join(inputDir, 'labels'));

// Every upload counts in its day and in all days of its model version.
const groups = new Map<string, GroupCounts>();
const groupOf = (key: string) => {
  let group = groups.get(key);
  if (group === undefined) {
    group = emptyGroupCounts();
    groups.set(key, group);
  }
  return group;
};
for (const [uploadId, p] of predictions) {
  const upload = labels.get(uploadId);
  labels.delete(uploadId);
  for (const day of [p.predictedAt.slice(0, 10), ALL_DAYS]) {
    const group = groupOf(groupKey(p.model, p.version, day));
    group.duplicatePredictions += p.copies - 1;
    if (p.outOfDistribution) group.outOfDistribution += 1;
    if (upload === undefined) {
      group.predictionsWithoutLabel += 1;
      continue;
    }
    group.duplicateLabels += upload.copies;
    group.supersededLabels += upload.list.length - 1;
    const latest = upload.list.reduce((a, b) =>
      b.at > a.at || (b.at === a.at && b.labelId > a.labelId) ? b : a,
    );
    if (!isClass(p.model, p.version, latest.label)) {
      group.invalidLabels += 1;
      continue;
    }
    if (latest.asked) {
      // Asked labels are scored apart from the headline figures, as the job does.
      group.askedN += 1;
      if (latest.label === p.label) group.askedCorrect += 1;
      continue;
    }
    addScored(group, {
      truth: latest.label,
      verdict: p.label,
      confidence: p.confidence,
      deviceVerdict: latest.device,
    });
  }
}
for (const upload of labels.values()) {
  global.labelsWithoutPrediction += 1;
  global.duplicateLabels += upload.copies;
  global.supersededLabels += upload.list.length - 1;
}

const lines = [...groups].map(([key, counts]) => `${key}\t${serializeGroupCounts(counts)}`);
lines.push(`${GLOBAL_KEY}\t${serializeGlobalCounts(global)}`);
const metrics = finalizeMetrics(lines, {
  runId: 'baseline',
  generatedAt: new Date(),
  manifests,
});
writeFileSync(outFile, JSON.stringify(metrics));
