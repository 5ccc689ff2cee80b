import { z } from 'zod';
import { modelNameSchema } from '../../contracts/uploads.ts';
import { describeIssues } from '../../contracts/zod-issues.ts';

/** `-c flag=true` arrives as a string, cdk.json may hold a real boolean. */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type like g5.xlarge');

const amiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id like ami-0123456789abcdef0');

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
  /** An AMI id pins the image; absent, the image is looked up once and pinned in cdk.context.json. */
  gatewayImageId: amiId.optional(),
  inferenceImageId: amiId.optional(),
  /** Requests per 5 minutes one client IP may make to /api/uploads before the WAF blocks it. */
  uploadRateLimit: z.coerce.number().int().min(10).max(2_000_000_000).default(300),
  /** Requests per 5 minutes one client IP may make to anything before the WAF blocks it. */
  requestRateLimit: z.coerce.number().int().min(100).max(2_000_000_000).default(3000),
  /** Concurrent classify Lambdas at most: bounds the load on the inference host and the bill. */
  lambdaConcurrency: z.coerce.number().int().min(1).max(1000).default(20),
  /** p99 inference latency (ms, from the gpu-host's own metric) above which an alarm fires. */
  inferenceLatencyAlarmMs: z.coerce.number().int().min(1).max(60_000).default(1000),
  /** Alarms go to this SNS topic; absent, the stack creates one (subscribe to it). */
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'must be an SNS topic ARN')
    .optional(),
  /** E-mail subscribed to the alarm topic the stack creates. */
  alarmEmail: z.email().optional(),
  /** The transient accuracy cluster (the stack's EmrClusterSpec output; mr/emr/transient-cluster.ts). */
  emrReleaseLabel: z
    .string()
    .regex(/^emr-\d+\.\d+\.\d+$/, 'must be an EMR release label like emr-7.5.0')
    .default('emr-7.5.0'),
  emrInstanceType: instanceType.default('m5.xlarge'),
  emrCoreInstances: z.coerce.number().int().min(1).max(20).default(1),
  jobRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
  noncurrentVersionDays: z.coerce.number().int().min(1).max(3650).default(30),
  logRetentionDays: z.coerce.number().int().min(1).max(3650).default(90),
  destroyDataOnDelete: flag.default(false),
  /** Gateways in their Auto Scaling group: at least two, one per AZ, so one can die unnoticed. */
  gatewayMinCount: z.coerce.number().int().min(2).max(100).default(2),
  gatewayDesiredCount: z.coerce.number().int().min(2).max(100).default(2),
  gatewayMaxCount: z.coerce.number().int().min(3).max(100).default(4),
  /** Inference hosts in theirs: one by default (a GPU host is the bill), replaced when unhealthy. */
  inferenceMinCount: z.coerce.number().int().min(1).max(100).default(1),
  inferenceDesiredCount: z.coerce.number().int().min(1).max(100).default(1),
  inferenceMaxCount: z.coerce.number().int().min(2).max(100).default(3),
  /** The ElastiCache (Valkey) node type of the gateways' result cache (a primary and a replica). */
  cacheNodeType: z
    .string()
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an ElastiCache node type like cache.t4g.micro')
    .default('cache.t4g.micro'),
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
    throw new Error(`deploy context is invalid (pass -c key=value): ${describeIssues(parsed.error)}`);
  }
  if (parsed.data.alarmTopicArn !== undefined && parsed.data.alarmEmail !== undefined) {
    throw new Error(
      'deploy context is invalid: alarmEmail subscribes to the topic the stack creates; with alarmTopicArn, subscribe to your own topic',
    );
  }
  if (parsed.data.certificateArn === undefined && parsed.data.appOrigin?.startsWith('https:')) {
    throw new Error(
      'deploy context is invalid: an https appOrigin needs certificateArn for the load balancer',
    );
  }
  for (const group of ['gateway', 'inference'] as const) {
    const [min, desired, max] = (['Min', 'Desired', 'Max'] as const).map(
      (k) => parsed.data[`${group}${k}Count`],
    );
    if (min === undefined || desired === undefined || max === undefined) continue;
    if (!(min <= desired && desired <= max && min < max)) {
      throw new Error(
        `deploy context is invalid: ${group}MinCount ≤ ${group}DesiredCount ≤ ${group}MaxCount and ${group}MinCount < ${group}MaxCount must hold (got ${min}, ${desired}, ${max}); a rolling update starts one host beyond the minimum`,
      );
    }
  }
  return Object.freeze(parsed.data);
}

function emptyToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}
