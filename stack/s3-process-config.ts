import { z } from 'zod';
import { type LambdaConfig, readLambdaConfig } from '../lambda/config.ts';
import { logLevelSchema, parseEnvironment } from '../platform/env-config.ts';
import { LOCAL_BUCKET, LOCAL_GATEWAY_URL, LOCAL_INFERENCE_URL, LOCAL_S3_PORT } from './local-defaults.ts';
import { LOCAL_S3_CREDENTIALS } from './local-s3.ts';
import type { StackSecrets } from './stack-secrets.ts';

const delays = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'a comma-separated list of milliseconds, e.g. 1000,2000')
  .transform((s) => s.split(',').map(Number));

const envSchema = z.object({
  S3_PORT: z.coerce.number().int().min(0).max(65535).default(LOCAL_S3_PORT),
  S3_BIND: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  S3_BUCKET: z.string().min(3).default(LOCAL_BUCKET),
  AWS_REGION: z.string().default('us-east-1'),
  APP_ORIGINS: z.string().default('http://localhost:8080,http://127.0.0.1:8080'),
  LAMBDA_S3_ENDPOINT: z.url().optional(),
  LAMBDA_RETRY_DELAYS_MS: delays.default([1_000, 2_000]),
  LAMBDA_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  REDRIVE_INTERVAL_MS: z.coerce.number().int().positive().default(5_000),
  SWEEP_AGE_SECONDS: z.coerce.number().positive().default(60),
  LOG_LEVEL: logLevelSchema,
});

/** `npm run start:s3`: the local S3 server, its S3 → Lambda bridge, the handler, the redrive queue and sweep. */
export interface S3ProcessConfig {
  readonly port: number;
  readonly bind: string;
  readonly dataDir: string;
  readonly bucket: string;
  readonly region: string;
  readonly appOrigins: readonly string[];
  /** Where the handler reaches S3: this process's own server unless set (a test's fault proxy). */
  readonly lambdaS3Endpoint: string | undefined;
  readonly lambdaRetryDelaysMs: readonly number[];
  readonly lambdaTimeoutMs: number;
  readonly redriveIntervalMs: number;
  readonly sweepAgeMs: number;
  readonly logLevel: string;
}

/** Reads and validates the environment; throws naming each bad variable. */
export function readS3ProcessConfig(env: NodeJS.ProcessEnv = process.env): S3ProcessConfig {
  const e = parseEnvironment(envSchema, env, 'start:s3');
  return Object.freeze({
    port: e.S3_PORT,
    bind: e.S3_BIND,
    dataDir: e.DATA_DIR,
    bucket: e.S3_BUCKET,
    region: e.AWS_REGION,
    appOrigins: e.APP_ORIGINS.split(',').map((o) => o.trim()),
    lambdaS3Endpoint: e.LAMBDA_S3_ENDPOINT,
    lambdaRetryDelaysMs: e.LAMBDA_RETRY_DELAYS_MS,
    lambdaTimeoutMs: e.LAMBDA_TIMEOUT_MS,
    redriveIntervalMs: e.REDRIVE_INTERVAL_MS,
    sweepAgeMs: e.SWEEP_AGE_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  });
}

/**
 * The Lambda's configuration in the S3 process: its own variables (INFERENCE_URL, GATEWAY_URL, …, as in
 * AWS), with the local server's endpoint and credentials, the data folder's signing secret and the
 * local host and gateway (stack/local-defaults.ts) filled in where unset.
 */
export function lambdaConfigFor(
  env: NodeJS.ProcessEnv,
  s3Endpoint: string,
  secrets: StackSecrets,
): LambdaConfig {
  return readLambdaConfig({
    S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    RESULT_SIGNING_SECRET: secrets.resultSigningSecret,
    INFERENCE_URL: LOCAL_INFERENCE_URL,
    GATEWAY_URL: LOCAL_GATEWAY_URL,
    ...env,
    S3_ENDPOINT: s3Endpoint,
  });
}
