import type { S3Client } from '@aws-sdk/client-s3';
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import type { Logger } from 'pino';
import type { UploadResult } from '../contracts/results.ts';
import { readOutcomeRecord } from '../platform/outcome-record.ts';
import { isFinal, type ResultStore } from './result-store.ts';
import { resultMessage, uploadTopic } from './server-messages.ts';

/** How long one S3 lookup may take before the answer is "not known yet". */
const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * Finds an upload's result: in memory first, then, when memory holds nothing final, in its S3
 * outcome record (the source of truth), so a restarted gateway, or one that was down while the
 * upload was processed, still answers. A result found in S3 is stored and published to the upload's
 * subscribers once (the store calls a second copy a duplicate). Concurrent lookups of one upload
 * share one S3 request; an S3 failure or timeout answers with what memory has.
 */
export class OutcomeLookup {
  private readonly inFlight = new Map<string, Promise<UploadResult | undefined>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly results: ResultStore,
    private readonly app: TemplatedApp,
    private readonly log: Logger,
  ) {}

  /** The best result known for the upload: final if one exists anywhere, else a non-final error or undefined. */
  async find(uploadId: string): Promise<UploadResult | undefined> {
    const inMemory = this.results.get(uploadId);
    if (inMemory && isFinal(inMemory)) return inMemory;
    let pending = this.inFlight.get(uploadId);
    if (!pending) {
      pending = this.fromS3(uploadId).finally(() => this.inFlight.delete(uploadId));
      this.inFlight.set(uploadId, pending);
    }
    return (await pending) ?? this.results.get(uploadId);
  }

  private async fromS3(uploadId: string): Promise<UploadResult | undefined> {
    let recorded: UploadResult | undefined;
    try {
      recorded = await readOutcomeRecord(
        this.s3,
        this.bucket,
        uploadId,
        AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
      );
    } catch (error) {
      this.log.warn({ uploadId, err: error }, 'outcome lookup in S3 failed; answering from memory');
      return undefined;
    }
    if (!recorded) return undefined;
    if (this.results.put(recorded) !== 'duplicate') {
      this.app.publish(uploadTopic(uploadId), JSON.stringify(resultMessage(recorded)));
    }
    return this.results.get(uploadId);
  }
}
