import type { S3Client } from '@aws-sdk/client-s3';
import { findUnfinishedUploads } from '../lambda/sweep.ts';
import { readOutcomeRecord } from '../platform/outcome-record.ts';
import type { EventBridge } from './event-bridge.ts';
import type { RedriveEntry, RedriveQueue } from './redrive-queue.ts';

export interface RedriverOptions {
  readonly queue: RedriveQueue;
  readonly bridge: EventBridge;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly region: string;
  /** How often the queue is looked at and the bucket swept. */
  readonly intervalMs: number;
  /** An upload without an outcome this long after it was stored is swept up and processed. */
  readonly sweepAgeMs: number;
  /** The handler's give-up age: older events are re-driven even while a peer is down, to end them. */
  readonly giveUpAfterMs: number;
  /** True when the peers the handler needs (inference host, gateway) answer their health checks. */
  readonly peersHealthy: () => Promise<boolean>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields: object) => void;
}

/** Most re-drives at once: enough to drain a backlog quickly without flooding a peer that just came back. */
const CONCURRENCY = 8;
/** A failing entry waits at most this many intervals before its next try. */
const MAX_BACKOFF_INTERVALS = 10;

/**
 * Re-drives kept events and sweeps for lost ones, on a timer. Each pass: (1) lists the uploads that
 * S3 accepted and that have no outcome after `sweepAgeMs` (lost events, a crashed process) and keeps
 * them in the queue; (2) when the peers are healthy again, invokes the handler once for each due entry,
 * removing it on success and backing it off on failure. An entry whose outcome is recorded but cannot
 * be delivered (a gateway that refuses it) is let go after the give-up age: the gateway reads the
 * outcome from S3 when asked.
 */
export class Redriver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastSweepAt = 0;

  constructor(private readonly options: RedriverOptions) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pass()
        .catch((error: unknown) => this.options.log('warn', 're-drive pass failed', { error: String(error) }))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep and one re-drive of the due entries (exported for tests). */
  async pass(now = Date.now()): Promise<void> {
    const { queue, bridge } = this.options;
    const kept = new Map((await queue.list()).map((e) => [e.object.key, e]));
    // Listing the bucket costs more than reading the queue: sweep twice per sweep age, not every pass.
    if (now - this.lastSweepAt >= this.options.sweepAgeMs / 2) {
      this.lastSweepAt = now;
      await this.sweep(kept, now);
    }
    const due = [...kept.values()].filter((e) => e.notBefore <= now && !bridge.isInFlight(e.object.key));
    if (due.length === 0) return;
    const healthy = await this.options.peersHealthy();
    const runnable = due.filter(
      (e) => healthy || now - e.object.eventTime.getTime() >= this.options.giveUpAfterMs,
    );
    for (let i = 0; i < runnable.length; i += CONCURRENCY) {
      if (this.stopped) return;
      await Promise.all(runnable.slice(i, i + CONCURRENCY).map((e) => this.redriveOne(e)));
    }
  }

  private async sweep(kept: Map<string, RedriveEntry>, now: number): Promise<void> {
    let unfinished: Awaited<ReturnType<typeof findUnfinishedUploads>>;
    try {
      unfinished = await findUnfinishedUploads(
        this.options.s3,
        this.options.bucket,
        this.options.sweepAgeMs,
        new Date(now),
      );
    } catch (error) {
      this.options.log('warn', 'sweep could not list the bucket; will try again', { error: String(error) });
      return;
    }
    for (const upload of unfinished) {
      if (kept.has(upload.key) || this.options.bridge.isInFlight(upload.key)) continue;
      const entry: RedriveEntry = {
        object: {
          bucket: this.options.bucket,
          key: upload.key,
          size: upload.size,
          eTag: upload.eTag.replaceAll('"', ''),
          eventName: 'ObjectCreated:Put',
          sourceIp: '127.0.0.1',
          region: this.options.region,
          configurationId: 'uploads-to-classifier',
          eventTime: upload.lastModified,
        },
        keptAt: now,
        attempts: 0,
        notBefore: 0,
        lastError: 'no outcome recorded: the event was lost or is still failing',
      };
      this.options.log('info', 'sweep found an upload without an outcome', { key: upload.key });
      await this.options.queue.put(entry);
      kept.set(upload.key, entry);
    }
  }

  private async redriveOne(entry: RedriveEntry): Promise<void> {
    const { queue, bridge, log } = this.options;
    try {
      await bridge.redrive(entry.object);
      await queue.remove(entry.object.key);
      log('info', 're-driven', { key: entry.object.key, attempts: entry.attempts + 1 });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (await this.deliveryOnlyAndTooOld(entry)) {
        log(
          'warn',
          'outcome recorded in S3 but not accepted by the gateway; it serves it from S3 on request',
          {
            key: entry.object.key,
            error: message,
          },
        );
        await queue.remove(entry.object.key);
        return;
      }
      const attempts = entry.attempts + 1;
      const { intervalMs } = this.options;
      const backoff = intervalMs * Math.min(MAX_BACKOFF_INTERVALS, 2 ** Math.min(attempts, 10));
      await queue.put({ ...entry, attempts, notBefore: Date.now() + backoff, lastError: message });
    }
  }

  private async deliveryOnlyAndTooOld(entry: RedriveEntry): Promise<boolean> {
    if (Date.now() - entry.object.eventTime.getTime() < 2 * this.options.giveUpAfterMs) return false;
    const uploadId = entry.object.key.slice(entry.object.key.lastIndexOf('/') + 1);
    return (
      (await readOutcomeRecord(this.options.s3, this.options.bucket, uploadId).catch(() => undefined)) !==
      undefined
    );
  }
}

/** Health check of a peer: any 2xx within the timeout. */
export async function answersHealthy(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
