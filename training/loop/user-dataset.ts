import type { S3Client } from '@aws-sdk/client-s3';
import { LABELS_PREFIX, uploadKey } from '../../contracts/s3-keys.ts';
import { readGpuHostConfig } from '../../gpu-host/config.ts';
import { decodeImage } from '../../gpu-host/image-decoder.ts';
import { mapLine } from '../../mr/join-map.ts';
import { putJsonObject, readOutcomeRecord } from '../../platform/outcome-record.ts';
import { listKeys, mapLimited, readObject } from './bucket-reader.ts';
import { toInput } from './gate-sets.ts';
import { joinLabelledUploads, type LabelledUpload, type LabelledUploadsSummary } from './labelled-uploads.ts';
import {
  DEFAULT_EVAL_SHARE,
  extendSplit,
  type UserSplit,
  userSplitKey,
  userSplitSchema,
} from './user-split.ts';

/** One labelled upload ready for training or evaluation: the model input inference would compute. */
export interface UserItem extends LabelledUpload {
  readonly input: Float32Array;
}

export interface UserDataset {
  readonly train: UserItem[];
  readonly eval: UserItem[];
  readonly split: UserSplit;
  /** Uploads newly assigned to a part by this run. */
  readonly newlyAssigned: number;
  readonly join: Omit<LabelledUploadsSummary, 'uploads'>;
  /** Labelled uploads left out, with why (photo gone, not decodable, nothing to classify). */
  readonly skipped: { uploadId: string; reason: string }[];
}

/**
 * The users' labelled photos of `model` as a dataset: label records and the labelled uploads'
 * predictions (from their outcome records) joined as the accuracy job joins them, each upload assigned to train or eval once (`retraining/<model>/split.json`,
 * extended and written back), each stored photo decoded by the inference host's decoder with its limits
 * and preprocessed by contracts/preprocess.ts — the very input the server computed for it.
 */
export async function loadUserDataset(
  s3: S3Client,
  bucket: string,
  model: string,
  labels: readonly string[],
  now: Date = new Date(),
): Promise<UserDataset> {
  // Labels are few (people give them); predictions are one per upload. So the labels are listed and
  // read, and only the labelled uploads' outcomes (`outcomes/<uploadId>.json`, keyed by upload alone,
  // holding the Lambda's prediction) are fetched.
  const labelKeys = (await listKeys(s3, bucket, LABELS_PREFIX)).filter((k) => k.endsWith('.jsonl'));
  const labelLines = (
    await mapLimited(labelKeys, 16, async (key) => {
      const bytes = await readObject(s3, bucket, key);
      return bytes ? Buffer.from(bytes).toString('utf8').split('\n') : [];
    })
  ).flat();
  const labelled = new Set<string>();
  for (const line of labelLines) {
    const mapped = mapLine(line);
    if (mapped.kind === 'label') labelled.add(mapped.key);
  }
  const predictionLines = await mapLimited([...labelled], 16, async (uploadId) => {
    const outcome = await readOutcomeRecord(s3, bucket, uploadId, AbortSignal.timeout(30_000));
    return outcome?.type === 'prediction' ? JSON.stringify(outcome.prediction) : '';
  });
  const lines = [...predictionLines, ...labelLines];
  const { uploads, ...join } = joinLabelledUploads(lines, model, labels);

  const previousBytes = await readObject(s3, bucket, userSplitKey(model));
  const previous = previousBytes
    ? userSplitSchema.parse(JSON.parse(Buffer.from(previousBytes).toString('utf8')))
    : null;
  const { split, added } = extendSplit(
    previous,
    { model, splitKey: `${model}-split-1`, evalShare: DEFAULT_EVAL_SHARE },
    uploads.map((u) => u.uploadId),
    now,
  );
  if (added.length > 0 || previous === null) await putJsonObject(s3, bucket, userSplitKey(model), split);

  const limits = readGpuHostConfig({});
  const skipped: { uploadId: string; reason: string }[] = [];
  const items = await mapLimited(uploads, 4, async (upload): Promise<UserItem | null> => {
    const bytes = await readObject(s3, bucket, uploadKey(upload.uploadId));
    if (!bytes) {
      skipped.push({ uploadId: upload.uploadId, reason: 'the photo is no longer in the bucket' });
      return null;
    }
    try {
      const input = toInput(await decodeImage(bytes, limits));
      if (!input) {
        skipped.push({ uploadId: upload.uploadId, reason: 'preprocessing found nothing to classify' });
        return null;
      }
      return { ...upload, input };
    } catch (error) {
      skipped.push({ uploadId: upload.uploadId, reason: (error as Error).message });
      return null;
    }
  });
  const kept = items.filter((item): item is UserItem => item !== null);
  return {
    train: kept.filter((item) => split.assignments[item.uploadId] === 'train'),
    eval: kept.filter((item) => split.assignments[item.uploadId] === 'eval'),
    split,
    newlyAssigned: added.length,
    join,
    skipped,
  };
}
