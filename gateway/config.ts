import { z } from 'zod';
import type { HmacKeys } from '../contracts/hmac-keys.ts';
import { MAX_UPLOAD_BYTES } from '../contracts/image-types.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { parseEnvironment, s3ConnectionFrom, s3EnvironmentSchema } from '../platform/env-config.ts';
import type { S3Connection } from '../platform/s3-client.ts';
import { loadHmacKeys } from '../platform/secret-source.ts';
import { urlListSchema } from '../platform/url-list.ts';
import { DEFAULT_PRESIGN_RATE_LIMIT, type RateLimitPolicy } from './client-rate-limit.ts';

const envSchema = s3EnvironmentSchema.extend({
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GATEWAY_BIND: z.string().default('0.0.0.0'),
  PUBLIC_DIR: z.string().default('pwa/dist'),
  // No default: a bucket name that only exists locally must not be what production quietly uses.
  S3_BUCKET: z.string().min(3, 'S3_BUCKET must name the uploads bucket'),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().max(MAX_UPLOAD_BYTES).default(MAX_UPLOAD_BYTES),
  DEFAULT_MODEL: modelNameSchema.default('digits'),
  RESULT_SIGNING_SECRET: z.string().min(32, 'RESULT_SIGNING_SECRET must be at least 32 characters'),
  UPLOAD_TOKEN_SECRET: z.string().min(32, 'UPLOAD_TOKEN_SECRET must be at least 32 characters'),
  RESULT_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  MAX_STORED_RESULTS: z.coerce.number().int().positive().default(100_000),
  MAX_STORED_ERRORS: z.coerce.number().int().positive().default(10_000),
  INFERENCE_URL: urlListSchema.optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'REDIS_URL must be redis://host:port or rediss://…' })
    .optional(),
  PRESIGN_BURST: z.coerce.number().int().min(1).default(DEFAULT_PRESIGN_RATE_LIMIT.burst),
  PRESIGN_PER_MINUTE: z.coerce.number().positive().default(DEFAULT_PRESIGN_RATE_LIMIT.perMinute),
  RATE_LIMIT_MAX_CLIENTS: z.coerce.number().int().min(1).default(DEFAULT_PRESIGN_RATE_LIMIT.maxClients),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(8).default(0),
});

/** The gateway's configuration, read once at start-up. */
export interface GatewayConfig {
  readonly port: number;
  readonly bind: string;
  /** The built PWA (vite build output); served at `/`. */
  readonly publicDir: string;
  readonly s3: S3Connection;
  readonly bucket: string;
  /** How long a presigned upload URL stays valid. */
  readonly uploadUrlTtlSeconds: number;
  readonly maxUploadBytes: number;
  readonly defaultModel: string;
  /** Shared with the Lambda: authenticates `POST /internal/results` (current and, mid-rotation, previous key). */
  readonly resultSigningSecret: string | HmacKeys;
  /** Derives each upload's capability token; only the uploader is given it (issued with the current key). */
  readonly uploadTokenSecret: string | HmacKeys;
  /** How long a verdict waits for its subscriber (or a poll) in memory. */
  readonly resultTtlSeconds: number;
  readonly maxStoredResults: number;
  /** Errors are kept apart from verdicts, so garbage uploads cannot evict other users' verdicts. */
  readonly maxStoredErrors: number;
  /** The first inference host of INFERENCE_URL, asked which models exist (the app's model picker, label checks); optional. */
  readonly inferenceUrl: string | undefined;
  /** Set when several gateways share results through Redis (gateway/result-relay.ts); unset, one gateway. */
  readonly redisUrl?: string | undefined;
  /** Presigns per client (token bucket): `burst` at once, refilled at `perMinute`; 429 beyond. Default DEFAULT_PRESIGN_RATE_LIMIT. */
  readonly presignRateLimit?: RateLimitPolicy | undefined;
  /**
   * Proxies in front of the gateway that append to X-Forwarded-For (1 behind an ALB). 0: the header is
   * ignored and the connection's address is the client (any client could forge the header). Default 0.
   */
  readonly trustedProxyHops?: number | undefined;
}

/** Reads and validates the environment; throws naming each bad variable. */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const e = parseEnvironment(envSchema, env, 'gateway');
  return Object.freeze({
    port: e.GATEWAY_PORT,
    bind: e.GATEWAY_BIND,
    publicDir: e.PUBLIC_DIR,
    s3: s3ConnectionFrom(e),
    bucket: e.S3_BUCKET,
    uploadUrlTtlSeconds: e.UPLOAD_URL_TTL_SECONDS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    defaultModel: e.DEFAULT_MODEL,
    resultSigningSecret: e.RESULT_SIGNING_SECRET,
    uploadTokenSecret: e.UPLOAD_TOKEN_SECRET,
    resultTtlSeconds: e.RESULT_TTL_SECONDS,
    maxStoredResults: e.MAX_STORED_RESULTS,
    maxStoredErrors: e.MAX_STORED_ERRORS,
    inferenceUrl: e.INFERENCE_URL?.[0],
    redisUrl: e.REDIS_URL,
    presignRateLimit: Object.freeze({
      burst: e.PRESIGN_BURST,
      perMinute: e.PRESIGN_PER_MINUTE,
      maxClients: e.RATE_LIMIT_MAX_CLIENTS,
    }),
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
  });
}

/**
 * The configuration at start-up in AWS: `RESULT_SIGNING_SECRET_ARN` and `UPLOAD_TOKEN_SECRET_ARN`
 * name Secrets Manager secrets, read once (a rotated key arrives with the next restart); plain
 * `RESULT_SIGNING_SECRET` / `UPLOAD_TOKEN_SECRET` still win (the local stack).
 */
export async function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  const names = ['RESULT_SIGNING_SECRET', 'UPLOAD_TOKEN_SECRET'] as const;
  const fromArn = names.filter((name) => !env[name] && env[`${name}_ARN`]);
  if (fromArn.length === 0) return readGatewayConfig(env);
  const keys = await Promise.all(fromArn.map((name) => loadHmacKeys(name, env)));
  // Validate everything else first, with a stand-in that passes the length check, then put the keys in.
  const stand = Object.fromEntries(fromArn.map((name) => [name, 'x'.repeat(32)]));
  const config = readGatewayConfig({ ...env, ...stand });
  const byName = Object.fromEntries(fromArn.map((name, i) => [name, keys[i]]));
  return Object.freeze({
    ...config,
    resultSigningSecret: byName.RESULT_SIGNING_SECRET ?? config.resultSigningSecret,
    uploadTokenSecret: byName.UPLOAD_TOKEN_SECRET ?? config.uploadTokenSecret,
  });
}
