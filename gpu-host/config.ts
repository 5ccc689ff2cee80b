import { z } from 'zod';
import {
  logLevelSchema,
  parseEnvironment,
  s3ConnectionFrom,
  s3EnvironmentSchema,
} from '../platform/env-config.ts';
import type { S3Connection } from '../platform/s3-client.ts';
import { parseS3RepositoryUrl, type S3RepositoryLocation } from './s3-repository-sync.ts';

const executionProviderSchema = z.enum(['cuda', 'cpu']);
export type ExecutionProviderName = z.infer<typeof executionProviderSchema>;

const onOff = (fallback: 'on' | 'off') =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'])
    .default(fallback)
    .transform((v) => v === 'on' || v === 'true' || v === '1');

const envSchema = s3EnvironmentSchema.extend({
  GPU_HOST_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  GPU_HOST_BIND: z.string().min(1).default('127.0.0.1'),
  MODEL_REPOSITORY: z.string().min(1).default('models'),
  MODEL_CONTROL_MODE: z.enum(['none', 'explicit', 'poll']).default('none'),
  REPOSITORY_POLL_SECONDS: z.coerce.number().positive().default(15),
  MODEL_REPOSITORY_S3_URL: z
    .string()
    .optional()
    .transform((url, ctx) => {
      if (url === undefined || url === '') return undefined;
      try {
        return parseS3RepositoryUrl(url);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  EXECUTION_PROVIDERS: z
    .string()
    .default('cpu')
    .transform((value) => value.split(',').map((p) => p.trim().toLowerCase()))
    .pipe(z.array(executionProviderSchema).min(1)),
  INTRA_OP_THREADS: z.coerce.number().int().min(0).default(1),
  MODEL_INSTANCES: z.coerce.number().int().min(1).max(64).default(1),
  DYNAMIC_BATCHING: onOff('on'),
  EAGER_BATCHING: onOff('on'),
  GPU_HOST_NULL_MODEL: onOff('off'),
  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  MAX_INPUT_PIXELS: z.coerce.number().int().positive().default(24_000_000),
  MAX_REQUEST_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  MAX_QUEUE_SIZE: z.coerce.number().int().nonnegative().default(1024),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().nonnegative().default(30_000),
  LOG_LEVEL: logLevelSchema,
});

/** The inference host's configuration, read once at start-up. Every variable is in gpu-host/README.md. */
export interface GpuHostConfig {
  readonly port: number;
  readonly bind: string;
  /** Folder laid out as `<model>/<version>/{model.onnx,manifest.json}`. */
  readonly modelRepository: string;
  /**
   * `explicit` allows `POST /v2/repository/models/{name}/load|unload`; `none` refuses them; `poll`
   * re-scans the repository every `repositoryPollSeconds` (and takes `load` as "re-scan this model now").
   */
  readonly modelControlMode: 'none' | 'explicit' | 'poll';
  /** How often poll mode re-scans the repository. */
  readonly repositoryPollSeconds: number;
  /**
   * The repository's copy in S3 (AWS), synced into `modelRepository` at start and before every load
   * or poll; undefined (the default) when the local folder is the repository.
   */
  readonly modelRepositoryS3:
    | { readonly location: S3RepositoryLocation; readonly connection: S3Connection }
    | undefined;
  /** Tried in order; `cuda` falls back to `cpu` with a log line when CUDA is absent. */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  readonly intraOpThreads: number;
  /** Model runs allowed at once per model version (Triton's instance count), batching on or off. */
  readonly modelInstances: number;
  /** Gather concurrent requests for a model into one run (each manifest's `dynamicBatching`). */
  readonly dynamicBatching: boolean;
  /**
   * Send a batch as soon as the model is free and no other request for it is still arriving, rather
   * than always waiting out the queue delay (off: Triton's behaviour).
   */
  readonly eagerBatching: boolean;
  /** Benchmark mode: parse and validate as usual but answer canned probabilities without running a model. */
  readonly nullModel: boolean;
  /** Largest encoded image accepted (each element of an `image` input, or a /classify body). */
  readonly maxImageBytes: number;
  /** Largest decoded image (width × height): a decompression bomb is refused before it is decoded. */
  readonly maxInputPixels: number;
  /** Largest infer request body: JSON plus any binary tensor data. */
  readonly maxRequestBytes: number;
  /**
   * Most requests waiting per model version for a run; past it the host answers 503 with
   * `Retry-After` (Triton's max_queue_size). 0: no bound.
   */
  readonly maxQueueSize: number;
  /** How long close() waits for requests in flight before cutting the remaining connections. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
}

/** Reads and validates the environment; throws naming each bad variable. */
export function readGpuHostConfig(env: NodeJS.ProcessEnv = process.env): GpuHostConfig {
  const e = parseEnvironment(envSchema, env, 'gpu-host');
  return Object.freeze({
    port: e.GPU_HOST_PORT,
    bind: e.GPU_HOST_BIND,
    modelRepository: e.MODEL_REPOSITORY,
    modelControlMode: e.MODEL_CONTROL_MODE,
    repositoryPollSeconds: e.REPOSITORY_POLL_SECONDS,
    modelRepositoryS3: e.MODEL_REPOSITORY_S3_URL && {
      location: e.MODEL_REPOSITORY_S3_URL,
      connection: s3ConnectionFrom(e),
    },
    executionProviders: Object.freeze(e.EXECUTION_PROVIDERS),
    intraOpThreads: e.INTRA_OP_THREADS,
    modelInstances: e.MODEL_INSTANCES,
    dynamicBatching: e.DYNAMIC_BATCHING,
    eagerBatching: e.EAGER_BATCHING,
    nullModel: e.GPU_HOST_NULL_MODEL,
    maxImageBytes: e.MAX_IMAGE_BYTES,
    maxInputPixels: e.MAX_INPUT_PIXELS,
    maxRequestBytes: e.MAX_REQUEST_BYTES,
    maxQueueSize: e.MAX_QUEUE_SIZE,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  });
}
