import path from 'node:path';
import { type Logger, pino } from 'pino';
import { DEFAULT_PRESIGN_RATE_LIMIT, type RateLimitPolicy } from '../gateway/client-rate-limit.ts';
import { type GatewayConfig, readGatewayConfig } from '../gateway/config.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { readGpuHostConfig } from '../gpu-host/config.ts';
import { type RunningGpuHost, startGpuHost } from '../gpu-host/gpu-host.ts';
import { type LambdaConfig, readLambdaConfig } from '../lambda/config.ts';
import type { EventBridge } from './event-bridge.ts';
import { type RunningLambdaSide, startLambdaSide } from './lambda-side.ts';
import {
  LOCAL_BUCKET,
  LOCAL_GATEWAY_PORT,
  LOCAL_GPU_HOST_PORT,
  LOCAL_MODEL_CONTROL_MODE,
  LOCAL_S3_PORT,
} from './local-defaults.ts';
import { LOCAL_S3_CREDENTIALS, type RunningLocalS3, startLocalS3 } from './local-s3.ts';
import { loadOrCreateSecrets } from './stack-secrets.ts';

export interface LocalStackOptions {
  /** 0 picks a free port (tests); the one command uses 4569, 8000 and 8080. */
  readonly s3Port: number;
  readonly gpuHostPort: number;
  readonly gatewayPort: number;
  /** Where the S3 objects, the redrive queue and the stack's secrets are kept (git-ignored). */
  readonly dataDir: string;
  readonly bucket: string;
  readonly publicDir: string;
  readonly modelRepository: string;
  /** Browser origins allowed to upload (CORS on the bucket). */
  readonly appOrigins: readonly string[];
  /** Waits before the two retries of a failed Lambda invocation. */
  readonly lambdaRetryDelaysMs: readonly number[];
  readonly lambdaTimeoutMs: number;
  /** How often kept events are re-driven and the bucket swept. */
  readonly redriveIntervalMs: number;
  /** An upload without an outcome this long after it was stored is swept up. */
  readonly sweepAgeMs: number;
  /** An upload still without a verdict this long ends with a final error. */
  readonly giveUpAfterMs: number;
  readonly logLevel: string;
  /** Presigns per client; the load generator raises it (all its users share one address). */
  readonly presignRateLimit: RateLimitPolicy;
  /**
   * Where the gateway and the Lambda reach inference; unset, the stack's own host. A test puts a fault
   * proxy in front of the host here.
   */
  readonly inferenceUrl?: string;
}

export const DEFAULT_STACK_OPTIONS: LocalStackOptions = Object.freeze({
  s3Port: LOCAL_S3_PORT,
  gpuHostPort: LOCAL_GPU_HOST_PORT,
  gatewayPort: LOCAL_GATEWAY_PORT,
  dataDir: '.data',
  bucket: LOCAL_BUCKET,
  publicDir: 'pwa/dist',
  modelRepository: 'models',
  appOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080'],
  lambdaRetryDelaysMs: [1_000, 2_000],
  lambdaTimeoutMs: 30_000,
  redriveIntervalMs: 5_000,
  sweepAgeMs: 60_000,
  giveUpAfterMs: 900_000,
  logLevel: 'info',
  presignRateLimit: DEFAULT_PRESIGN_RATE_LIMIT,
});

export interface RunningLocalStack {
  readonly s3: RunningLocalS3;
  readonly gpuHost: RunningGpuHost;
  readonly gateway: RunningGateway;
  readonly bridge: EventBridge;
  readonly lambdaSide: RunningLambdaSide;
  readonly lambdaConfig: LambdaConfig;
  readonly gatewayConfig: GatewayConfig;
  readonly log: Logger;
  /** Stops everything, in the reverse order of start. */
  close(): Promise<void>;
}

/**
 * Starts the whole system in one process on loopback: real S3 server, inference host, gateway serving
 * the app, and the S3 → Lambda bridge invoking the real handler with its redrive queue and sweep. Each
 * part is the code that runs in AWS; `npm run start:s3|start:gpu-host|start:gateway` run them apart.
 */
export async function startLocalStack(
  overrides: Partial<LocalStackOptions> = {},
): Promise<RunningLocalStack> {
  const options = { ...DEFAULT_STACK_OPTIONS, ...overrides };
  const log = pino({ level: options.logLevel });
  const secrets = await loadOrCreateSecrets(options.dataDir);
  const region = 'us-east-1';

  const s3 = await startLocalS3({
    port: options.s3Port,
    host: '127.0.0.1',
    directory: path.join(options.dataDir, 's3'),
    bucket: options.bucket,
    allowedOrigins: options.appOrigins,
    region,
  });

  // The host's own defaults (read as in production), with the stack's port, models and log level, and
  // explicit model control so that a promotion's `load` reaches it (bound to loopback, as every part is).
  const gpuHostConfig = readGpuHostConfig({
    GPU_HOST_PORT: String(options.gpuHostPort),
    GPU_HOST_BIND: '127.0.0.1',
    MODEL_CONTROL_MODE: LOCAL_MODEL_CONTROL_MODE,
    MODEL_REPOSITORY: options.modelRepository,
    SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: options.logLevel,
  });
  const gpuHost = await startGpuHost(gpuHostConfig, log.child({ service: 'gpu-host' }));

  // The gateway's and the Lambda's own configuration readers, as in AWS: their defaults are the ones
  // production gets; the stack supplies only what production has to name (addresses, bucket, secrets).
  const s3Env = {
    AWS_REGION: region,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
  };
  const inferenceUrl = options.inferenceUrl ?? gpuHost.url;
  const gatewayConfig: GatewayConfig = {
    ...readGatewayConfig({
      ...s3Env,
      GATEWAY_PORT: String(options.gatewayPort),
      GATEWAY_BIND: '127.0.0.1',
      PUBLIC_DIR: options.publicDir,
      S3_BUCKET: options.bucket,
      RESULT_SIGNING_SECRET: secrets.resultSigningSecret,
      UPLOAD_TOKEN_SECRET: secrets.uploadTokenSecret,
      INFERENCE_URL: inferenceUrl,
    }),
    presignRateLimit: options.presignRateLimit,
  };
  const gateway = await startGateway(gatewayConfig, log.child({ service: 'gateway' }));

  const lambdaConfig = readLambdaConfig({
    ...s3Env,
    INFERENCE_URL: inferenceUrl,
    GATEWAY_URL: gateway.url,
    RESULT_SIGNING_SECRET: secrets.resultSigningSecret,
    GIVE_UP_AFTER_SECONDS: String(options.giveUpAfterMs / 1000),
    LOG_LEVEL: options.logLevel,
  });
  const lambdaSide = await startLambdaSide({
    s3,
    lambdaConfig,
    bucket: options.bucket,
    region,
    dataDir: options.dataDir,
    lambdaRetryDelaysMs: options.lambdaRetryDelaysMs,
    lambdaTimeoutMs: options.lambdaTimeoutMs,
    redriveIntervalMs: options.redriveIntervalMs,
    sweepAgeMs: options.sweepAgeMs,
    log,
  });

  return {
    s3,
    gpuHost,
    gateway,
    bridge: lambdaSide.bridge,
    lambdaSide,
    lambdaConfig,
    gatewayConfig,
    log,
    async close() {
      await gateway.close();
      await lambdaSide.close();
      await gpuHost.close();
      await s3.close();
    },
  };
}
