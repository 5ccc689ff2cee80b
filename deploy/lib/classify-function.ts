import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OUTCOMES_PREFIX, PREDICTIONS_PREFIX, UPLOADS_PREFIX } from '../../contracts/s3-keys.ts';

export interface ClassifyFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Folder holding `index.mjs`, the esbuild bundle of lambda/handler.ts. */
  readonly codeDir: string;
  readonly bucket: s3.IBucket;
  /** The inference hosts' internal load balancer, e.g. `http://inference.pictor.internal:8000`. */
  readonly inferenceUrl: string;
  /** Where results are posted: the internal listener in front of every gateway. */
  readonly gatewayUrl: string;
  readonly resultSigningSecret: secretsmanager.ISecret;
  readonly defaultModel: string;
  readonly topK: number;
  /** Reserved concurrency: at most this many run at once (bounds the inference host's load and the bill). */
  readonly reservedConcurrency: number;
}

/**
 * One time budget per invocation (deploy/README.md, "Time budget"). The handler plans its tries from
 * `getRemainingTimeInMillis()`; these are the ceilings it plans within, and the timeout covers them
 * all: the secret read at cold start, the S3 read, every inference try with its backoff, every
 * gateway try with its backoff, and the prediction write.
 */
export const TIME_BUDGET = Object.freeze({
  secretReadMs: 3_000,
  s3Ms: 2 * 2_000,
  inferenceAttempts: 3,
  inferenceTimeoutMs: 7_000,
  inferenceBackoffMs: 2_000,
  gatewayAttempts: 3,
  gatewayTimeoutMs: 5_000,
  gatewayBackoffMs: 2_000,
});
export const TIMEOUT = Duration.seconds(60);

/** The worst case of one invocation, every try used; must stay under the timeout. */
export function worstCaseMs(b: typeof TIME_BUDGET = TIME_BUDGET): number {
  return (
    b.secretReadMs +
    b.s3Ms +
    b.inferenceAttempts * b.inferenceTimeoutMs +
    b.inferenceBackoffMs +
    b.gatewayAttempts * b.gatewayTimeoutMs +
    b.gatewayBackoffMs
  );
}
if (worstCaseMs() >= TIMEOUT.toMilliseconds()) {
  throw new Error('the Lambda timeout does not cover its tries: see TIME_BUDGET in classify-function.ts');
}

/** Lambda's own retries of a failed async invocation before the event goes to the dead-letter queue. */
export const ASYNC_RETRIES = 2;

/**
 * The S3-triggered classifier (lambda/handler.ts): in the VPC to reach the gpu-hosts and the gateways,
 * retried twice by Lambda's async invocation, then parked in a dead-letter queue. The scheduled
 * re-drive (redrive-function.ts) shares its environment, permissions and security group.
 */
export class ClassifyFunction extends Construct {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly securityGroup: ec2.SecurityGroup;
  /** The function's environment: the re-drive runs the same code with the same settings. */
  readonly environment: Readonly<Record<string, string>>;
  private readonly bucket: s3.IBucket;
  private readonly resultSigningSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ClassifyFunctionProps) {
    super(scope, id);
    this.bucket = props.bucket;
    this.resultSigningSecret = props.resultSigningSecret;
    this.environment = {
      INFERENCE_URL: props.inferenceUrl,
      INFERENCE_TIMEOUT_MS: String(TIME_BUDGET.inferenceTimeoutMs),
      INFERENCE_ATTEMPTS: String(TIME_BUDGET.inferenceAttempts),
      GATEWAY_URL: props.gatewayUrl,
      GATEWAY_TIMEOUT_MS: String(TIME_BUDGET.gatewayTimeoutMs),
      // Only the ARN: the handler reads the key from Secrets Manager at cold start and caches it
      // (lambda/config.ts, platform/secret-source.ts), so a rotated key needs no redeploy.
      RESULT_SIGNING_SECRET_ARN: props.resultSigningSecret.secretArn,
      DEFAULT_MODEL: props.defaultModel,
      TOP_K: String(props.topK),
    };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Pictor classify Lambda (outbound only)',
      allowAllOutbound: true,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new lambda.Function(this, 'Function', {
      description: 'Pictor: classifies each image uploaded under uploads/',
      // Node 24 (supported into 2028). The same bundle is tested under Node 24 in CI (.ci/node24.sh).
      runtime: lambda.Runtime.NODEJS_24_X,
      // Pure JavaScript (no native modules in the bundle), so Graviton: cheaper per GB-second.
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.codeDir),
      memorySize: 512,
      timeout: TIMEOUT,
      reservedConcurrentExecutions: props.reservedConcurrency,
      retryAttempts: ASYNC_RETRIES,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      logGroup,
      environment: { ...this.environment },
    });

    this.grantUploadProcessing(this.function);
  }

  /**
   * What processing an upload takes (lambda/process-upload.ts): the signing key; one GetObject per
   * upload, one PutObject per prediction, and the upload's outcome record read (is it done already?)
   * and written (lambda/README.md); ListBucket, without which a GetObject of an outcome not yet
   * written answers 403 instead of 404 (and the re-drive's sweep lists uploads/ and outcomes/).
   */
  grantUploadProcessing(fn: lambda.IFunction): void {
    this.resultSigningSecret.grantRead(fn);
    const bucket = this.bucket;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects(`${UPLOADS_PREFIX}*`), bucket.arnForObjects(`${OUTCOMES_PREFIX}*`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          bucket.arnForObjects(`${PREDICTIONS_PREFIX}*`),
          bucket.arnForObjects(`${OUTCOMES_PREFIX}*`),
        ],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
  }
}
