import type { S3Client } from '@aws-sdk/client-s3';
import { type ModelDecision, modelDecisionSchema } from '../../contracts/model-decision.ts';
import { MODEL_DECISIONS_PREFIX, modelDecisionKey } from '../../contracts/s3-keys.ts';
import { putJsonObject } from '../../platform/outcome-record.ts';
import { listKeys, mapLimited, readObject } from './bucket-reader.ts';

/** Records `decision` at `model-decisions/<model>/<decidedAt>-<decisionId>.json` (written once). */
export async function recordDecision(s3: S3Client, bucket: string, decision: ModelDecision): Promise<string> {
  const checked = modelDecisionSchema.parse(decision);
  const key = modelDecisionKey(checked.model, new Date(checked.decidedAt), checked.decisionId);
  await putJsonObject(s3, bucket, key, checked);
  return key;
}

/** Every recorded decision about `model`, oldest first; a record that does not parse is an error. */
export async function readDecisions(s3: S3Client, bucket: string, model: string): Promise<ModelDecision[]> {
  const keys = (await listKeys(s3, bucket, `${MODEL_DECISIONS_PREFIX}${model}/`)).filter((k) =>
    k.endsWith('.json'),
  );
  const decisions = await mapLimited(keys, 8, async (key) => {
    const bytes = await readObject(s3, bucket, key);
    if (!bytes) throw new Error(`decision ${key} vanished while it was read`);
    const parsed = modelDecisionSchema.safeParse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    if (!parsed.success) throw new Error(`decision ${key} is not a valid record: ${parsed.error.message}`);
    return parsed.data;
  });
  return decisions.sort((a, b) => Date.parse(a.decidedAt) - Date.parse(b.decidedAt));
}
