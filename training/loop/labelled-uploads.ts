import { mapLine } from '../../mr/join-map.ts';
import { reduceKey } from '../../mr/join-reduce.ts';

/** An upload a person labelled and the model classified: what the loop can learn from. */
export interface LabelledUpload {
  readonly uploadId: string;
  /** The latest label (one of the model's labels). */
  readonly label: string;
  /** Its index in the model's label list: the class the training script sees. */
  readonly classIndex: number;
  /** The version that classified it on the server. */
  readonly predictedVersion: string;
  readonly asked: boolean;
}

/** What the join left out, for the run's summary line. */
export interface LabelledUploadsSummary {
  readonly uploads: LabelledUpload[];
  readonly labelRecords: number;
  readonly otherModels: number;
  readonly notInLabelSet: number;
  readonly withoutPrediction: number;
  readonly malformedLines: number;
}

/**
 * Joins prediction records (`predictions/…/*.json`) and label lines (`labels/…/*.jsonl`) exactly as
 * the accuracy job does (mr/join-map.ts `mapLine`, mr/join-reduce.ts `reduceKey`: each labelId once,
 * the latest label per upload by labeledAt, the latest prediction), then keeps the uploads `model`
 * classified whose label is one of `labels`.
 */
export function joinLabelledUploads(
  lines: Iterable<string>,
  model: string,
  labels: readonly string[],
): LabelledUploadsSummary {
  const byUpload = new Map<string, string[]>();
  let malformedLines = 0;
  let labelRecords = 0;
  for (const line of lines) {
    const mapped = mapLine(line);
    if (mapped.kind === 'blank') continue;
    if (mapped.kind === 'malformed') {
      malformedLines += 1;
      continue;
    }
    if (mapped.kind === 'label') labelRecords += 1;
    const values = byUpload.get(mapped.key);
    if (values) values.push(mapped.value);
    else byUpload.set(mapped.key, [mapped.value]);
  }
  const index = new Map(labels.map((label, i) => [label, i]));
  const uploads: LabelledUpload[] = [];
  let otherModels = 0;
  let notInLabelSet = 0;
  let withoutPrediction = 0;
  for (const [uploadId, values] of [...byUpload].sort(([a], [b]) => a.localeCompare(b))) {
    const { prediction, label } = reduceKey(uploadId, values);
    if (label === null) continue;
    if (prediction === null) {
      withoutPrediction += 1;
      continue;
    }
    if (prediction.model !== model) {
      otherModels += 1;
      continue;
    }
    const classIndex = index.get(label.label);
    if (classIndex === undefined) {
      notInLabelSet += 1;
      continue;
    }
    uploads.push({
      uploadId,
      label: label.label,
      classIndex,
      predictedVersion: prediction.modelVersion,
      asked: label.asked === true,
    });
  }
  return { uploads, labelRecords, otherModels, notInLabelSet, withoutPrediction, malformedLines };
}
