import type { LogLevel } from '../platform/env-config.ts';
import { createS3Client, FAST_S3_TIMEOUTS } from '../platform/s3-client.ts';
import { type LambdaConfig, loadLambdaConfig } from './config.ts';
import { createGatewayClient, ResultRejectedError } from './gateway-client.ts';
import { createInferenceClient } from './inference-client.ts';
import {
  type ProcessDeps,
  processUploadRecord,
  type RecordOutcome,
  type TimeBudget,
} from './process-upload.ts';
import { s3EventSchema } from './s3-event.ts';
import { createS3UploadStore } from './upload-store.ts';

/** The subset of the Lambda context the handler uses. */
export interface LambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type S3Handler = (event: unknown, context: LambdaContext) => Promise<{ outcomes: RecordOutcome[] }>;

/** Where the handler's log lines go: by default one JSON line each on stdout/stderr (CloudWatch). */
export type LambdaLog = (level: 'info' | 'error', message: string, fields: Record<string, unknown>) => void;

export interface HandlerOptions {
  readonly log?: LambdaLog;
  /** Replaces parts of the wiring (a test's clock, say); the defaults are the real clients. */
  readonly deps?: Partial<ProcessDeps>;
}

/** The handler's clients and settings, made once per cold start (the redrive handler shares them). */
export function createProcessDeps(config: LambdaConfig): ProcessDeps {
  return {
    store: createS3UploadStore(createS3Client(config.s3, FAST_S3_TIMEOUTS)),
    inference: createInferenceClient({
      baseUrl: config.inferenceUrl,
      timeoutMs: config.inferenceTimeoutMs,
      attempts: config.inferenceAttempts,
    }),
    gateway: createGatewayClient({
      baseUrl: config.gatewayUrl,
      secret: config.resultSigningSecret,
      timeoutMs: config.gatewayTimeoutMs,
    }),
    defaultModel: config.defaultModel,
    maxImageBytes: config.maxImageBytes,
    topK: config.topK,
    giveUpAfterMs: config.giveUpAfterMs,
    now: () => new Date(),
  };
}

/** Builds the handler from configuration: clients are made once per cold start, not per event. */
export function createHandler(config: LambdaConfig, options: HandlerOptions = {}): S3Handler {
  const log = options.log ?? jsonLogAt(config.logLevel);
  const deps: ProcessDeps = { ...createProcessDeps(config), ...options.deps };

  return async (event, context) => {
    const parsed = s3EventSchema.safeParse(event);
    if (!parsed.success) {
      // Not an S3 notification: retrying cannot fix it, so say so and finish.
      log('error', 'event is not an S3 notification', {
        requestId: context.awsRequestId,
        issues: parsed.error.issues.slice(0, 3),
      });
      return { outcomes: [] };
    }
    const budget = planBudget(context.getRemainingTimeInMillis());
    const settled = await Promise.allSettled(
      parsed.data.Records.map((r) => processUploadRecord(r, deps, budget)),
    );
    const outcomes: RecordOutcome[] = [];
    const failures: unknown[] = [];
    for (const result of settled) {
      if (result.status === 'fulfilled') {
        outcomes.push(result.value);
        log('info', 'record processed', { requestId: context.awsRequestId, ...result.value });
      } else {
        if (result.reason instanceof ResultRejectedError) {
          // Kept, not dropped: the event fails and is re-driven once the secret or clock is fixed.
          log('error', 'gateway refused the result; check RESULT_SIGNING_SECRET and the clocks', {
            requestId: context.awsRequestId,
            error: result.reason.message,
          });
        }
        failures.push(result.reason);
      }
    }
    if (failures.length > 0) {
      // Throwing makes Lambda retry the async invocation (twice), then the event goes to the failure
      // queue that is re-driven (stack/redrive-queue.ts; the DLQ and lambda/redrive-handler.ts in AWS).
      // Processing is idempotent.
      throw new AggregateError(
        failures,
        `${failures.length} of ${settled.length} records failed: ${String(failures[0])}`,
      );
    }
    return { outcomes };
  };
}

/** Time kept back from the function timeout, so the invocation ends on its own terms. */
const SAFETY_MARGIN_MS = 500;

/**
 * Plans an invocation's tries from its remaining time: inference stops early enough to leave time for
 * recording and delivering the outcome (up to 5 s, at most a third of the time).
 */
export function planBudget(remainingMs: number, now = Date.now()): TimeBudget {
  const deadline = now + Math.max(0, remainingMs - SAFETY_MARGIN_MS);
  const reserve = Math.min(5_000, Math.floor(remainingMs / 3));
  return { deadline, inferenceDeadline: deadline - reserve };
}

/** JSON lines on stdout/stderr (CloudWatch), those below `threshold` left out as pino would. */
function jsonLogAt(threshold: LogLevel): LambdaLog {
  const rank: Record<LogLevel, number> = {
    trace: 10,
    debug: 20,
    info: 30,
    warn: 40,
    error: 50,
    fatal: 60,
    silent: Infinity,
  };
  return (level, message, fields) => {
    if (rank[level] < rank[threshold]) return;
    const line = JSON.stringify({ level, message, ...fields });
    if (level === 'error') console.error(line);
    else console.log(line);
  };
}

let defaultHandler: Promise<S3Handler> | undefined;

/** The function Lambda invokes: configuration (and the signing key) read on first use, then cached. */
export const handler: S3Handler = async (event, context) => {
  defaultHandler ??= loadLambdaConfig().then(createHandler, (error: unknown) => {
    defaultHandler = undefined; // the next invocation tries again
    throw error;
  });
  return (await defaultHandler)(event, context);
};
