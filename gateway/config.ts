import { z } from 'zod';
import { MAX_UPLOAD_BYTES } from '../contracts/image-types.ts';
import { modelNameSchema } from '../contracts/uploads.ts';
import { parseEnvironment, s3ConnectionFrom, s3EnvironmentSchema } from '../platform/env-config.ts';
import type { S3Connection } from '../platform/s3-client.ts';

const envSchema = s3EnvironmentSchema.extend({
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GATEWAY_BIND: z.string().default('0.0.0.0'),
  PUBLIC_DIR: z.string().default('pwa/dist'),
  S3_BUCKET: z.string().min(3).default('pictor-local'),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().max(MAX_UPLOAD_BYTES).default(MAX_UPLOAD_BYTES),
  DEFAULT_MODEL: modelNameSchema.default('digits'),
  RESULT_SIGNING_SECRET: z.string().min(32, 'RESULT_SIGNING_SECRET must be at least 32 characters'),
  UPLOAD_TOKEN_SECRET: z.string().min(32, 'UPLOAD_TOKEN_SECRET must be at least 32 characters'),
  RESULT_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  MAX_STORED_RESULTS: z.coerce.number().int().positive().default(100_000),
  MAX_STORED_ERRORS: z.coerce.number().int().positive().default(10_000),
  INFERENCE_URL: z.url().optional(),
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
  /** Shared with the Lambda: authenticates `POST /internal/results`. */
  readonly resultSigningSecret: string;
  /** Derives each upload's capability token; only the uploader is given it. */
  readonly uploadTokenSecret: string;
  /** How long a verdict waits for its subscriber (or a poll) in memory. */
  readonly resultTtlSeconds: number;
  readonly maxStoredResults: number;
  /** Errors are kept apart from verdicts, so garbage uploads cannot evict other users' verdicts. */
  readonly maxStoredErrors: number;
  /** The inference host, asked which models exist (for the app's model picker); optional. */
  readonly inferenceUrl: string | undefined;
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
    inferenceUrl: e.INFERENCE_URL,
  });
}
