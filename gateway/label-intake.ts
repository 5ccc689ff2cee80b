import { createHash } from 'node:crypto';
import type { HmacKeys } from '../contracts/hmac-keys.ts';
import type { LabelOutcome, LabelRecord, SubmitLabelsRequest } from '../contracts/labels.ts';
import { labelsKey } from '../contracts/s3-keys.ts';
import { SeenIds } from './seen-ids.ts';
import { verifyUploadToken } from './upload-token.ts';

/** Where label batches go: S3 in production and locally. */
export interface LabelSink {
  writeBatch(key: string, jsonLines: string): Promise<void>;
}

/** How far in the future a device clock may put `labeledAt`. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Takes batches of true labels from the app and writes the new ones to S3 as one JSON-lines object per
 * batch. Idempotent on labelId: a label already written (this process remembers a million) is a
 * `duplicate`, and an identical batch retried after a restart lands on the same key (the batch id is a
 * hash of its labelIds). Batches are handled one at a time so that two syncs of the same queue cannot
 * both write a label. A failed write throws, marking nothing, so the app retries.
 */
export class LabelIntake {
  private readonly seen: SeenIds;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sink: LabelSink,
    private readonly tokenSecret: string | HmacKeys,
    private readonly now: () => Date = () => new Date(),
    capacity = 1_000_000,
  ) {
    this.seen = new SeenIds(capacity);
  }

  submit(request: SubmitLabelsRequest): Promise<LabelOutcome[]> {
    const run = this.queue.then(() => this.process(request));
    this.queue = run.catch(() => {});
    return run;
  }

  private async process(request: SubmitLabelsRequest): Promise<LabelOutcome[]> {
    const receivedAt = this.now();
    const outcomes: LabelOutcome[] = [];
    const fresh: LabelRecord[] = [];
    const inBatch = new Set<string>();
    for (const label of request.labels) {
      const { labelId } = label;
      if (!verifyUploadToken(this.tokenSecret, label.uploadId, label.token)) {
        outcomes.push({
          labelId,
          status: 'rejected',
          code: 'wrong_token',
          message: 'the token does not belong to this upload',
        });
      } else if (Date.parse(label.labeledAt) > receivedAt.getTime() + MAX_CLOCK_SKEW_MS) {
        outcomes.push({
          labelId,
          status: 'rejected',
          code: 'labeled_in_future',
          message: 'labeledAt is in the future',
        });
      } else if (this.seen.has(labelId) || inBatch.has(labelId)) {
        outcomes.push({ labelId, status: 'duplicate' });
      } else {
        inBatch.add(labelId);
        fresh.push({
          labelId,
          uploadId: label.uploadId,
          label: label.label,
          labeledAt: label.labeledAt,
          receivedAt: receivedAt.toISOString(),
          ...(label.device ? { device: label.device } : {}),
          source: label.source ?? 'volunteered',
        });
        outcomes.push({ labelId, status: 'stored' });
      }
    }
    if (fresh.length > 0) {
      const batchId = createHash('sha256')
        .update(
          fresh
            .map((r) => r.labelId)
            .sort()
            .join(','),
        )
        .digest('hex')
        .slice(0, 32);
      await this.sink.writeBatch(
        labelsKey(batchId, receivedAt),
        `${fresh.map((r) => JSON.stringify(r)).join('\n')}\n`,
      );
      for (const record of fresh) this.seen.add(record.labelId);
    }
    return outcomes;
  }
}
