import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CreatedObject, toAwsEventRecord } from './s3-event-record.ts';

/** A Lambda function as the runtime sees it. */
export type LambdaFunction = (
  event: unknown,
  context: { awsRequestId: string; functionName: string; getRemainingTimeInMillis(): number },
) => Promise<unknown>;

export interface EventBridgeOptions {
  readonly handler: LambdaFunction;
  /** The notification's prefix filter, as configured on the bucket in AWS. */
  readonly prefix: string;
  readonly functionName: string;
  /** Lambda's function timeout: a longer invocation counts as failed. */
  readonly timeoutMs: number;
  /** Waits before the retries of a failed async invocation (AWS: 2 retries, about 1 and 2 minutes). */
  readonly retryDelaysMs: readonly number[];
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields: object) => void;
  /** Called with an event whose invocations all failed: it must be kept for re-drive, never dropped. */
  readonly onFailed: (object: CreatedObject, error: string) => Promise<void>;
}

/**
 * Stands in for the S3 → Lambda notification: filters created objects by prefix, builds the
 * record in AWS's shape, and invokes the handler asynchronously as Lambda does for S3 (the upload's
 * PUT does not wait), retrying a failed invocation after each delay, then handing the event to
 * `onFailed` (the redrive queue; in AWS, the dead-letter queue).
 */
export class EventBridge {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightKeys = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: EventBridgeOptions) {}

  /** Called for every created object; returns at once. */
  readonly onObjectCreated = (object: CreatedObject): void => {
    if (this.stopped || !object.key.startsWith(this.options.prefix)) return;
    this.track(object.key, this.invokeWithRetries(object));
  };

  /** One invocation for a kept event (the re-drive): resolves when it succeeded, rejects otherwise. */
  redrive(object: CreatedObject): Promise<void> {
    const run = this.invokeOnce({ Records: [toAwsEventRecord(object)] }, randomUUID());
    this.track(
      object.key,
      run.catch(() => {}),
    );
    return run;
  }

  /** True while an invocation for this object key runs in this process. */
  isInFlight(key: string): boolean {
    return this.inFlightKeys.has(key);
  }

  private track(key: string, work: Promise<void>): void {
    this.inFlightKeys.set(key, (this.inFlightKeys.get(key) ?? 0) + 1);
    const run = work.finally(() => {
      this.inFlight.delete(run);
      const left = (this.inFlightKeys.get(key) ?? 1) - 1;
      if (left > 0) this.inFlightKeys.set(key, left);
      else this.inFlightKeys.delete(key);
    });
    this.inFlight.add(run);
  }

  /** Resolves when every invocation started so far has finished (tests and shutdown wait on it). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops taking events and waits for the invocations in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async invokeWithRetries(object: CreatedObject): Promise<void> {
    const event = { Records: [toAwsEventRecord(object)] };
    const attempts = this.options.retryDelaysMs.length + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const requestId = randomUUID();
      try {
        await this.invokeOnce(event, requestId);
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const last = attempt === attempts || this.stopped;
        this.options.log(
          'warn',
          last ? 'invocation failed; event kept for re-drive' : 'invocation failed; will retry',
          {
            key: object.key,
            requestId,
            attempt,
            error: message,
          },
        );
        if (last) {
          await this.options.onFailed(object, message).catch((keepError: unknown) =>
            // The sweep still finds the upload (it has no outcome), so this is not a loss.
            this.options.log('error', 'could not keep the failed event; the sweep will find it', {
              key: object.key,
              error: String(keepError),
            }),
          );
          return;
        }
        await sleep(this.options.retryDelaysMs[attempt - 1] ?? 0);
      }
    }
  }

  private async invokeOnce(event: unknown, awsRequestId: string): Promise<void> {
    const deadline = Date.now() + this.options.timeoutMs;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const timedOut = new Promise<never>((_, reject) =>
      timeout.addEventListener('abort', () =>
        reject(new Error(`Task timed out after ${this.options.timeoutMs} ms`)),
      ),
    );
    // structuredClone: the handler gets its own copy, as it would after JSON over the wire.
    await Promise.race([
      this.options.handler(structuredClone(event), {
        awsRequestId,
        functionName: this.options.functionName,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      }),
      timedOut,
    ]);
  }
}
