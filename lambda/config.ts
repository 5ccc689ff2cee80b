import { z } from 'zod';
import { modelNameSchema } from '../contracts/uploads.ts';
import {
  type LogLevel,
  logLevelSchema,
  parseEnvironment,
  s3ConnectionFrom,
  s3EnvironmentSchema,
} from '../platform/env-config.ts';
import type { S3Connection } from '../platform/s3-client.ts';
import { loadHmacKeys } from '../platform/secret-source.ts';
import { urlListSchema } from '../platform/url-list.ts';

const envSchema = s3EnvironmentSchema.extend({
  // No loopback defaults: production names its hosts; the local stack and `start:s3` supply theirs.
  INFERENCE_URL: urlListSchema,
  INFERENCE_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  INFERENCE_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  GATEWAY_URL: z.url(),
  GATEWAY_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  RESULT_SIGNING_SECRET: z.string().min(32, 'RESULT_SIGNING_SECRET must be at least 32 characters'),
  DEFAULT_MODEL: modelNameSchema.default('digits'),
  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  TOP_K: z.coerce.number().int().min(1).max(20).default(3),
  GIVE_UP_AFTER_SECONDS: z.coerce.number().positive().default(900),
  LOG_LEVEL: logLevelSchema,
});

/** The Lambda's configuration, read once per cold start. */
export interface LambdaConfig {
  readonly s3: S3Connection;
  /** One inference host or several, comma-separated (each checked at start-up); requests are spread over them. */
  readonly inferenceUrl: string;
  readonly inferenceTimeoutMs: number;
  /** Tries per call to the inference host, the first included; transient failures only. */
  readonly inferenceAttempts: number;
  readonly gatewayUrl: string;
  readonly gatewayTimeoutMs: number;
  /** Shared with the gateway: authenticates results (platform/result-signature.ts). */
  readonly resultSigningSecret: string;
  /** Model for uploads that name none (no `x-amz-meta-model`). */
  readonly defaultModel: string;
  /** Uploads larger than this get an `image_too_large` verdict without being read. */
  readonly maxImageBytes: number;
  readonly topK: number;
  /** An upload without a verdict this long after it was stored ends with a final error. */
  readonly giveUpAfterMs: number;
  /** Lines below this level are not written (`error` keeps only failures; `silent` none). */
  readonly logLevel: LogLevel;
}

/** Reads and validates the environment; throws naming each bad variable. */
export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const e = parseEnvironment(envSchema, env, 'lambda');
  return Object.freeze({
    s3: s3ConnectionFrom(e),
    inferenceUrl: e.INFERENCE_URL.join(','),
    inferenceTimeoutMs: e.INFERENCE_TIMEOUT_MS,
    inferenceAttempts: e.INFERENCE_ATTEMPTS,
    gatewayUrl: e.GATEWAY_URL,
    gatewayTimeoutMs: e.GATEWAY_TIMEOUT_MS,
    resultSigningSecret: e.RESULT_SIGNING_SECRET,
    defaultModel: e.DEFAULT_MODEL,
    maxImageBytes: e.MAX_IMAGE_BYTES,
    topK: e.TOP_K,
    giveUpAfterMs: e.GIVE_UP_AFTER_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  });
}

/**
 * The configuration at cold start in AWS: `RESULT_SIGNING_SECRET_ARN` names the key in Secrets
 * Manager (read once, cached for the environment's life); a plain `RESULT_SIGNING_SECRET` still wins.
 * The Lambda only signs, so it keeps the current key.
 */
export async function loadLambdaConfig(env: NodeJS.ProcessEnv = process.env): Promise<LambdaConfig> {
  if (env.RESULT_SIGNING_SECRET) return readLambdaConfig(env);
  const keys = await loadHmacKeys('RESULT_SIGNING_SECRET', env);
  return readLambdaConfig({ ...env, RESULT_SIGNING_SECRET: keys.current });
}
