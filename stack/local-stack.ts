import path from 'node:path';
import { type Logger, pino } from 'pino';
import { DEFAULT_PRESIGN_RATE_LIMIT, type RateLimitPolicy } from '../gateway/client-rate-limit.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { readGpuHostConfig } from '../gpu-host/config.ts';
import { type RunningGpuHost, startGpuHost } from '../gpu-host/gpu-host.ts';
import type { LambdaConfig } from '../lambda/config.ts';
import type { EventBridge } from './event-bridge.ts';
import { type RunningLambdaSide, startLambdaSide } from './lambda-side.ts';
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
}

export const DEFAULT_STACK_OPTIONS: LocalStackOptions = Object.freeze({
  s3Port: 4569,
  gpuHostPort: 8000,
  gatewayPort: 8080,
  dataDir: '.data',
  bucket: 'pictor-local',
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
  const s3Connection = { region, endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS };

  // The host's own defaults (read as in production), with the stack's port, models and log level.
  const gpuHostConfig = readGpuHostConfig({
    GPU_HOST_PORT: String(options.gpuHostPort),
    MODEL_REPOSITORY: options.modelRepository,
    SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: options.logLevel,
  });
  const gpuHost = await startGpuHost(gpuHostConfig, log.child({ service: 'gpu-host' }));

  const gatewayConfig: GatewayConfig = {
    port: options.gatewayPort,
    bind: '127.0.0.1',
    publicDir: options.publicDir,
    s3: s3Connection,
    bucket: options.bucket,
    uploadUrlTtlSeconds: 300,
    maxUploadBytes: 10 * 1024 * 1024,
    defaultModel: 'digits',
    resultSigningSecret: secrets.resultSigningSecret,
    uploadTokenSecret: secrets.uploadTokenSecret,
    resultTtlSeconds: 3600,
    maxStoredResults: 100_000,
    maxStoredErrors: 10_000,
    inferenceUrl: gpuHost.url,
    presignRateLimit: options.presignRateLimit,
    trustedProxyHops: 0,
  };
  const gateway = await startGateway(gatewayConfig, log.child({ service: 'gateway' }));

  const lambdaConfig: LambdaConfig = {
    s3: s3Connection,
    inferenceUrl: gpuHost.url,
    inferenceTimeoutMs: 10_000,
    inferenceAttempts: 3,
    gatewayUrl: gateway.url,
    gatewayTimeoutMs: 5_000,
    resultSigningSecret: secrets.resultSigningSecret,
    defaultModel: 'digits',
    maxImageBytes: 10 * 1024 * 1024,
    topK: 3,
    giveUpAfterMs: options.giveUpAfterMs,
  };
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
