import { z } from 'zod';

const executionProviderSchema = z.enum(['cuda', 'cpu']);
export type ExecutionProviderName = z.infer<typeof executionProviderSchema>;

const envSchema = z.object({
  GPU_HOST_PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  GPU_HOST_BIND: z.string().default('127.0.0.1'),
  MODEL_REPOSITORY: z.string().default('models'),
  EXECUTION_PROVIDERS: z
    .string()
    .default('cpu')
    .transform((value) => value.split(',').map((p) => p.trim().toLowerCase()))
    .pipe(z.array(executionProviderSchema).min(1)),
  INTRA_OP_THREADS: z.coerce.number().int().min(0).default(1),
  MAX_IMAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  MAX_INPUT_PIXELS: z.coerce.number().int().positive().default(24_000_000),
  MAX_JSON_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The inference host's configuration, read once at start-up. */
export interface GpuHostConfig {
  readonly port: number;
  readonly bind: string;
  /** Folder laid out as `<model>/<version>/{model.onnx,manifest.json}`. */
  readonly modelRepository: string;
  /** Tried in order; `cuda` falls back to `cpu` with a log line when CUDA is absent. */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** onnxruntime intra-op threads per session; 0 lets onnxruntime choose. */
  readonly intraOpThreads: number;
  /** Largest encoded image body accepted. */
  readonly maxImageBytes: number;
  /** Largest decoded image (width × height): a decompression bomb is refused before it is decoded. */
  readonly maxInputPixels: number;
  /** Largest JSON infer request body. */
  readonly maxJsonBytes: number;
  readonly logLevel: string;
}

/** Reads and validates the environment; throws naming each bad variable. */
export function readGpuHostConfig(env: NodeJS.ProcessEnv = process.env): GpuHostConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`gpu-host configuration is invalid: ${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.GPU_HOST_PORT,
    bind: e.GPU_HOST_BIND,
    modelRepository: e.MODEL_REPOSITORY,
    executionProviders: Object.freeze(e.EXECUTION_PROVIDERS),
    intraOpThreads: e.INTRA_OP_THREADS,
    maxImageBytes: e.MAX_IMAGE_BYTES,
    maxInputPixels: e.MAX_INPUT_PIXELS,
    maxJsonBytes: e.MAX_JSON_BYTES,
    logLevel: e.LOG_LEVEL,
  });
}
