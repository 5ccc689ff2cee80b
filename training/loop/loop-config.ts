import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { modelNameSchema } from '../../contracts/uploads.ts';
import { parseS3RepositoryUrl, type S3RepositoryLocation } from '../../gpu-host/s3-repository-sync.ts';
import { parseEnvironment, s3ConnectionFrom, s3EnvironmentSchema } from '../../platform/env-config.ts';
import type { S3Connection } from '../../platform/s3-client.ts';
import { urlListSchema } from '../../platform/url-list.ts';
import { LOCAL_BUCKET, LOCAL_INFERENCE_URL, LOCAL_S3_ENDPOINT } from '../../stack/local-defaults.ts';
import { LOCAL_S3_CREDENTIALS } from '../../stack/local-s3.ts';

/** A command line that cannot run, with what is wrong in words. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What every loop command needs: the model, the repository, the bucket, the hosts, the app. */
export interface LoopConfig {
  readonly model: string;
  /** The model repository promotion writes (`models/` locally; the hosts' synced copy of the S3 repository in AWS). */
  readonly repository: string;
  /** The repository's copy in S3 that the hosts follow (AWS); the local folder is synced from it and published to it. */
  readonly repositoryS3?: S3RepositoryLocation | undefined;
  readonly bucket: string;
  readonly s3: S3Connection;
  readonly inferenceUrls: readonly string[];
  readonly rebuildApp: 'auto' | 'on' | 'off';
  /** Who asked, for the decision record. */
  readonly by: string;
}

const envSchema = s3EnvironmentSchema.extend({
  S3_BUCKET: z.string().min(3).optional(),
  MODEL_REPOSITORY: z.string().min(1).optional(),
  MODEL_REPOSITORY_S3_URL: z.string().min(1).optional(),
  INFERENCE_URL: urlListSchema.optional(),
});

/** Options every loop command takes (node:util parseArgs form). */
export const COMMON_OPTIONS = {
  model: { type: 'string' },
  repository: { type: 'string' },
  'repository-s3': { type: 'string' },
  bucket: { type: 'string' },
  endpoint: { type: 'string' },
  'inference-url': { type: 'string' },
  'rebuild-app': { type: 'string', default: 'auto' },
  by: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export const COMMON_USAGE = `  --model <name>          the model (required), e.g. digits
  --repository <dir>      the model repository (default: $MODEL_REPOSITORY or models)
  --repository-s3 <url>   its copy in S3 that the hosts follow, s3://<bucket>/<prefix>/ (default:
                          $MODEL_REPOSITORY_S3_URL; unset locally): synced before, published after
  --bucket <name>         the bucket with uploads, labels and decisions (default: $S3_BUCKET or ${LOCAL_BUCKET})
  --endpoint <url|aws>    S3 endpoint (default: $S3_ENDPOINT or the local stack's ${LOCAL_S3_ENDPOINT});
                          "aws" for AWS itself with the role's credentials
  --inference-url <urls>  hosts to reload, comma-separated (default: $INFERENCE_URL or ${LOCAL_INFERENCE_URL})
  --rebuild-app auto|on|off  rebuild the PWA after the default changed (auto: when the repository is
                          models/ and pwa/dist exists)
  --by <text>             who asked, recorded with the decision`;

type CommonValues = { [K in keyof typeof COMMON_OPTIONS]?: string | boolean | undefined };

/** The common configuration from parsed options and the environment (read once, frozen). */
export function loopConfig(
  values: CommonValues,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): LoopConfig {
  const e = parseEnvironment(envSchema, env, command);
  const model = modelNameSchema.safeParse(values.model);
  if (!model.success) throw new UsageError(`--model must name a model, e.g. --model digits`);
  const rebuild = values['rebuild-app'] ?? 'auto';
  if (rebuild !== 'auto' && rebuild !== 'on' && rebuild !== 'off') {
    throw new UsageError(`--rebuild-app must be auto, on or off, not ${String(rebuild)}`);
  }
  const endpointChoice = (values.endpoint as string | undefined) ?? e.S3_ENDPOINT ?? LOCAL_S3_ENDPOINT;
  const connection =
    endpointChoice === 'aws'
      ? s3ConnectionFrom({ ...e, S3_ENDPOINT: undefined })
      : {
          ...s3ConnectionFrom({ ...e, S3_ENDPOINT: endpointChoice }),
          credentials: s3ConnectionFrom(e).credentials ?? { ...LOCAL_S3_CREDENTIALS },
        };
  const urls = values['inference-url']
    ? urlListSchema.safeParse(values['inference-url'])
    : { success: true as const, data: e.INFERENCE_URL ?? [LOCAL_INFERENCE_URL] };
  if (!urls.success) throw new UsageError(`--inference-url: ${urls.error.issues[0]?.message ?? 'invalid'}`);
  const s3Url = (values['repository-s3'] as string | undefined) ?? e.MODEL_REPOSITORY_S3_URL;
  let repositoryS3: S3RepositoryLocation | undefined;
  try {
    repositoryS3 = s3Url ? parseS3RepositoryUrl(s3Url) : undefined;
  } catch (error) {
    throw new UsageError(`--repository-s3: ${(error as Error).message}`);
  }
  return Object.freeze({
    model: model.data,
    repositoryS3,
    repository: path.resolve((values.repository as string | undefined) ?? e.MODEL_REPOSITORY ?? 'models'),
    bucket: (values.bucket as string | undefined) ?? e.S3_BUCKET ?? LOCAL_BUCKET,
    s3: connection,
    inferenceUrls: Object.freeze([...urls.data]),
    rebuildApp: rebuild,
    by: (values.by as string | undefined) ?? `npm run ${command}`,
  });
}

/** Parses argv with the common options and `extra`, refusing unknown ones with the usage text. */
export function parseCommandLine(
  argv: string[],
  extra: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>,
  usage: string,
): { values: Record<string, string | boolean | undefined> } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...extra },
      allowPositionals: false,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined> };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** A whole number option, or the fallback; refuses anything else with the option's name. */
export function intOption(value: unknown, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a whole number, not ${String(value)}`);
  return n;
}

/** The message a failed command ends with: usage errors as they are, a refused S3 connection with what to do. */
export function failureMessage(command: string, error: unknown): string {
  if (error instanceof UsageError) return error.message;
  const text = error instanceof Error ? error.message : String(error);
  const hint = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(text)
    ? ' — is S3 reachable? Locally start it with `npm start` or `npm run start:s3`, or pass --endpoint / --bucket'
    : '';
  return `${command} failed: ${text}${hint}`;
}

/** `--fonts auto|on|off` and `--ood-per-kind N`: the gate's evaluation sets, shared by `gate` and `retrain`. */
export function gateSetOptions(values: Record<string, string | boolean | undefined>): {
  fonts: 'auto' | 'on' | 'off';
  oodPerKind: number;
} {
  const fonts = values.fonts ?? 'auto';
  if (fonts !== 'auto' && fonts !== 'on' && fonts !== 'off')
    throw new UsageError('--fonts must be auto, on or off');
  return { fonts, oodPerKind: intOption(values['ood-per-kind'], 'ood-per-kind', 60) as number };
}
