import { z } from 'zod';
import { modelNameSchema } from '../../contracts/uploads.ts';

/** `-c flag=true` arrives as a string, cdk.json may hold a real boolean. */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type like g5.xlarge');

const contextSchema = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .default('Pictor'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region like eu-west-1')
    .optional(),
  appOrigin: z
    .url()
    .refine((value) => new URL(value).origin === value, 'must be an origin: scheme://host[:port], no path')
    .optional(),
  domainName: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, 'must be a lower-case DNS name')
    .optional(),
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, 'must be an ACM certificate ARN')
    .optional(),
  gpuInstanceType: instanceType.default('g5.xlarge'),
  gatewayInstanceType: instanceType.default('t3.small'),
  uploadRetentionDays: z.coerce.number().int().min(1).max(3650).default(7),
  defaultModel: modelNameSchema.default('digits'),
  topK: z.coerce.number().int().min(1).max(20).default(3),
  nodeVersion: z
    .string()
    .regex(/^2\d\.\d+\.\d+$/, 'must be a Node.js version like 20.20.2')
    .default('20.20.2'),
  withEmrCluster: flag.default(false),
  emrReleaseLabel: z
    .string()
    .regex(/^emr-\d+\.\d+\.\d+$/, 'must be an EMR release label like emr-7.5.0')
    .default('emr-7.5.0'),
  emrInstanceType: instanceType.default('m5.xlarge'),
  emrCoreInstances: z.coerce.number().int().min(1).max(20).default(1),
  destroyDataOnDelete: flag.default(false),
});

/** The deployment's settings, read once from CDK context (`-c key=value`). */
export type DeployConfig = Readonly<z.infer<typeof contextSchema>>;

/** The context keys the app reads; anything else passed with `-c` is CDK's own business. */
export const DEPLOY_CONTEXT_KEYS = Object.keys(contextSchema.shape) as readonly (keyof DeployConfig)[];

/**
 * Reads and validates the deployment settings; throws naming each bad context key.
 *
 * @example readDeployConfig((key) => app.node.tryGetContext(key))
 */
export function readDeployConfig(get: (key: string) => unknown): DeployConfig {
  const raw = Object.fromEntries(DEPLOY_CONTEXT_KEYS.map((key) => [key, emptyToUndefined(get(key))]));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`deploy context is invalid (pass -c key=value): ${problems}`);
  }
  if (parsed.data.certificateArn === undefined && parsed.data.appOrigin?.startsWith('https:')) {
    throw new Error(
      'deploy context is invalid: an https appOrigin needs certificateArn for the load balancer',
    );
  }
  return Object.freeze(parsed.data);
}

function emptyToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}
