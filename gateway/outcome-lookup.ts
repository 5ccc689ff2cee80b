import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { UploadResult } from '../contracts/results.ts';
import { readOutcomeRecord } from '../platform/outcome-record.ts';
import type { ResultRelay } from './result-relay.ts';
import { isFinal } from './result-store.ts';

/** How long one S3 lookup may take before the answer is "not known yet". */
const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * Finds an upload's result: in the relay's cache first (this process's memory, or Redis shared by every
 * gateway), then, when it holds nothing final, in the upload's S3 outcome record (the source of truth),
 * so a restarted gateway, one that was down while the upload was processed, or a cache that expired or
 * lost the entry still answers. A result found in S3 is handed to the relay, which stores it and
 * announces it to the upload's subscribers on every gateway once (a second copy is a duplicate).
 * Concurrent lookups of one upload on this gateway share one S3 request; a cache or S3 failure or
 * timeout answers with what is known, never an exception.
 */
export class OutcomeLookup {
  private readonly inFlight = new Map<string, Promise<UploadResult | undefined>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly relay: ResultRelay,
    private readonly log: Logger,
  ) {}

  /** The best result known for the upload: final if one exists anywhere, else a non-final error or undefined. */
  async find(uploadId: string): Promise<UploadResult | undefined> {
    const cached = await this.fromCache(uploadId);
    if (cached && isFinal(cached)) return cached;
    let pending = this.inFlight.get(uploadId);
    if (!pending) {
      pending = this.fromS3(uploadId).finally(() => this.inFlight.delete(uploadId));
      this.inFlight.set(uploadId, pending);
    }
    return (await pending) ?? cached;
  }

  private async fromCache(uploadId: string): Promise<UploadResult | undefined> {
    try {
      return await this.relay.lookup(uploadId);
    } catch (error) {
      // Redis unreachable: S3 still has every final outcome.
      this.log.warn({ uploadId, err: error }, 'result cache lookup failed; asking S3');
      return undefined;
    }
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
      this.log.warn({ uploadId, err: error }, 'outcome lookup in S3 failed; answering from the cache');
      return undefined;
    }
    if (!recorded) return undefined;
    try {
      // Stored and announced to every gateway's subscribers, unless the cache already had it.
      await this.relay.accept(recorded);
    } catch (error) {
      // The caller still gets the recorded outcome; other gateways find it in S3 themselves.
      this.log.warn({ uploadId, err: error }, 'could not share the outcome found in S3');
    }
    return recorded;
  }
}
