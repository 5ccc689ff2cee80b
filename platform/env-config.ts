import { z } from 'zod';
import { describeIssues } from '../contracts/zod-issues.ts';
import type { S3Connection } from './s3-client.ts';

/**
 * Parses the environment with a deployable's schema, or throws one error that names every bad
 * variable and the deployable, so a misconfigured service says what to fix before it serves anything.
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  deployable: string,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`${deployable} configuration is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** `LOG_LEVEL`, read by every part: pino's levels, `info` unless set. */
export const logLevelSchema = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');
export type LogLevel = z.infer<typeof logLevelSchema>;

/** The variables that say how to reach S3; unset endpoint and keys mean AWS with the role's credentials. */
export const s3EnvironmentSchema = z.object({
  AWS_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
});

/** The S3 connection those variables describe. */
export function s3ConnectionFrom(e: z.infer<typeof s3EnvironmentSchema>): S3Connection {
  const credentials =
    e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
      ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
      : undefined;
  return { region: e.AWS_REGION, endpoint: e.S3_ENDPOINT, credentials };
}
