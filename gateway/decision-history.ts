import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type ModelDecision, modelDecisionSchema } from '../contracts/model-decision.ts';
import { MODEL_DECISIONS_PREFIX } from '../contracts/s3-keys.ts';
import { describeIssue } from '../contracts/zod-issues.ts';

/** A decision record is a few KiB (its gate checks); anything far larger is not one. */
const MAX_DECISION_BYTES = 256 * 1024;
/** Listing stops here (1,000 keys a page): a model has a handful of decisions a week, not millions. */
const MAX_LIST_PAGES = 20;
/** Records read at once. */
const READ_CONCURRENCY = 8;

export interface DecisionHistory {
  /** Newest first. */
  readonly decisions: ModelDecision[];
  /** Records left out because they did not validate (each logged with its key and why). */
  readonly skipped: number;
  /** More (older) records exist than were read. */
  readonly truncated: boolean;
}

/**
 * The learning loop's decisions about `model` (contracts/model-decision.ts), read from
 * `model-decisions/<model>/` in the bucket: the newest `limit` records, newest first. Keys begin with
 * the decision's ISO time, so they sort by time; each record is validated, and one that does not
 * parse, or speaks of another model, is skipped with `onInvalid` rather than failing the whole page.
 */
export async function readDecisionHistory(
  s3: S3Client,
  bucket: string,
  model: string,
  limit: number,
  onInvalid: (key: string, reason: string) => void,
): Promise<DecisionHistory> {
  const prefix = `${MODEL_DECISIONS_PREFIX}${model}/`;
  const keys: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.json')) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    pages++;
  } while (token && pages < MAX_LIST_PAGES);
  const newest = keys.sort().reverse().slice(0, limit);
  const read: Array<ModelDecision | undefined> = [];
  for (let i = 0; i < newest.length; i += READ_CONCURRENCY) {
    const batch = newest.slice(i, i + READ_CONCURRENCY);
    read.push(...(await Promise.all(batch.map((key) => readDecision(s3, bucket, key, model, onInvalid)))));
  }
  const decisions = read.filter((d): d is ModelDecision => d !== undefined);
  // Newest first by the decision's own time (keys agree unless one was written by hand).
  decisions.sort((a, b) => Date.parse(b.decidedAt) - Date.parse(a.decidedAt));
  return {
    decisions,
    skipped: newest.length - decisions.length,
    truncated: keys.length > newest.length || token !== undefined,
  };
}

async function readDecision(
  s3: S3Client,
  bucket: string,
  key: string,
  model: string,
  onInvalid: (key: string, reason: string) => void,
): Promise<ModelDecision | undefined> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if ((object.ContentLength ?? 0) > MAX_DECISION_BYTES) {
    (object.Body as Readable | undefined)?.destroy();
    onInvalid(key, `${object.ContentLength} bytes, more than a decision record has`);
    return undefined;
  }
  const text = (await object.Body?.transformToString()) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    onInvalid(key, 'not JSON');
    return undefined;
  }
  const parsed = modelDecisionSchema.safeParse(json);
  if (!parsed.success) {
    onInvalid(key, describeIssue(parsed.error, 'decision'));
    return undefined;
  }
  if (parsed.data.model !== model) {
    onInvalid(key, `a decision about "${parsed.data.model}" under ${model}'s prefix`);
    return undefined;
  }
  return parsed.data;
}
