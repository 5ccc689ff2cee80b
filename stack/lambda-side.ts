import path from 'node:path';
import type { Logger } from 'pino';
import { UPLOADS_PREFIX } from '../contracts/s3-keys.ts';
import type { LambdaConfig } from '../lambda/config.ts';
import { createHandler } from '../lambda/handler.ts';
import { createS3Client, FAST_S3_TIMEOUTS } from '../platform/s3-client.ts';
import { EventBridge } from './event-bridge.ts';
import type { RunningLocalS3 } from './local-s3.ts';
import { RedriveQueue } from './redrive-queue.ts';
import { answersHealthy, Redriver } from './redriver.ts';
import { startWorkerHandler, type WorkerHandler } from './worker-handler.ts';

export interface LambdaSideOptions {
  readonly s3: RunningLocalS3;
  readonly lambdaConfig: LambdaConfig;
  readonly bucket: string;
  readonly region: string;
  /** The data folder: the redrive queue lives in `<dataDir>/redrive`. */
  readonly dataDir: string;
  /** Waits before the two retries of a failed Lambda invocation. */
  readonly lambdaRetryDelaysMs: readonly number[];
  readonly lambdaTimeoutMs: number;
  readonly redriveIntervalMs: number;
  readonly sweepAgeMs: number;
  readonly log: Logger;
  /**
   * Runs the handler on its own thread (start:s3), as Lambda runs apart from S3; otherwise in this
   * event loop (the embedded `npm start` stack and tests, whose loaders cannot start a .ts worker).
   */
  readonly handlerThread?: { readonly logLevel: string };
}

export interface RunningLambdaSide {
  readonly bridge: EventBridge;
  readonly queue: RedriveQueue;
  readonly redriver: Redriver;
  close(): Promise<void>;
}

/**
 * What runs beside the local S3 server: the S3 → Lambda bridge invoking the real handler, the durable
 * redrive queue that keeps events failed past their retries, and the redriver that re-drives them and
 * sweeps for uploads without an outcome.
 */
export async function startLambdaSide(options: LambdaSideOptions): Promise<RunningLambdaSide> {
  const { lambdaConfig, log } = options;
  const lambdaLog = log.child({ service: 'lambda' });
  const queue = await RedriveQueue.open(path.join(options.dataDir, 'redrive'));
  const worker: WorkerHandler | undefined = options.handlerThread
    ? startWorkerHandler(lambdaConfig, options.handlerThread.logLevel)
    : undefined;
  const bridge = new EventBridge({
    handler:
      worker?.handler ??
      createHandler(lambdaConfig, {
        log: (level, message, fields) => lambdaLog[level](fields, message),
      }),
    prefix: UPLOADS_PREFIX,
    functionName: 'pictor-classify-upload',
    timeoutMs: options.lambdaTimeoutMs,
    retryDelaysMs: options.lambdaRetryDelaysMs,
    log: (level, message, fields) => lambdaLog[level](fields, message),
    onFailed: (object, error) =>
      queue.put({ object, keptAt: Date.now(), attempts: 0, notBefore: 0, lastError: error }),
  });
  options.s3.onObjectCreated(bridge.onObjectCreated);
  const redriveLog = log.child({ service: 'redrive' });
  const redriver = new Redriver({
    queue,
    bridge,
    s3: createS3Client(lambdaConfig.s3, FAST_S3_TIMEOUTS),
    bucket: options.bucket,
    region: options.region,
    intervalMs: options.redriveIntervalMs,
    sweepAgeMs: options.sweepAgeMs,
    giveUpAfterMs: lambdaConfig.giveUpAfterMs,
    peersHealthy: async () => {
      const [inference, gateway] = await Promise.all([
        answersHealthy(new URL('/v2/health/ready', lambdaConfig.inferenceUrl).href),
        answersHealthy(new URL('/api/health', lambdaConfig.gatewayUrl).href),
      ]);
      return inference && gateway;
    },
    log: (level, message, fields) => redriveLog[level](fields, message),
  });
  redriver.start();
  return {
    bridge,
    queue,
    redriver,
    async close() {
      await redriver.stop();
      await bridge.stop();
      await worker?.close();
    },
  };
}
