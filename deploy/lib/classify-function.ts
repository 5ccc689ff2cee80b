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
  /** The inference host's base URL, e.g. `http://ip-10-40-4-5.ec2.internal:8000`. */
  readonly inferenceUrl: string;
  /** Where results are posted; the gateway instance's private address. */
  readonly gatewayUrl: string;
  readonly resultSigningSecret: secretsmanager.ISecret;
  readonly defaultModel: string;
  readonly topK: number;
}

const TIMEOUT = Duration.seconds(30);
const INFERENCE_ATTEMPTS = 3;
const INFERENCE_TIMEOUT_MS = 7_000;
const GATEWAY_TIMEOUT_MS = 5_000;
// Every inference try, its backoff (≤ ~1 s) and the gateway post must fit in one invocation.
if (INFERENCE_ATTEMPTS * INFERENCE_TIMEOUT_MS + 1_000 + GATEWAY_TIMEOUT_MS >= TIMEOUT.toMilliseconds()) {
  throw new Error('the Lambda timeout does not cover its inference retries and the gateway post');
}

/**
 * The S3-triggered classifier (lambda/handler.ts): in the VPC to reach the gpu-host, retried twice by
 * Lambda's async invocation, then parked in a dead-letter queue.
 */
export class ClassifyFunction extends Construct {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ClassifyFunctionProps) {
    super(scope, id);
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
      // nodejs20.x can no longer be created (Lambda blocked it after Node 20's end of life); the bundle
      // targets Node 20 syntax and runs unchanged on 22.
      runtime: lambda.Runtime.NODEJS_22_X,
      // Pure JavaScript (no native modules in the bundle), so Graviton: cheaper per GB-second.
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.codeDir),
      memorySize: 512,
      timeout: TIMEOUT,
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      logGroup,
      environment: {
        INFERENCE_URL: props.inferenceUrl,
        INFERENCE_TIMEOUT_MS: String(INFERENCE_TIMEOUT_MS),
        INFERENCE_ATTEMPTS: String(INFERENCE_ATTEMPTS),
        GATEWAY_URL: props.gatewayUrl,
        GATEWAY_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS),
        // A CloudFormation dynamic reference: the template holds `{{resolve:secretsmanager:…}}`, and
        // CloudFormation puts the value into the function's (KMS-encrypted) configuration at deploy
        // time. See deploy/README.md, "Secrets", for the trade-off and the alternatives.
        RESULT_SIGNING_SECRET: props.resultSigningSecret.secretValue.unsafeUnwrap(),
        DEFAULT_MODEL: props.defaultModel,
        TOP_K: String(props.topK),
      },
    });

    // Exactly what the handler does: one GetObject per upload, one PutObject per prediction, and the
    // upload's outcome record read (is it done already?) and written (lambda/README.md).
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          props.bucket.arnForObjects(`${UPLOADS_PREFIX}*`),
          props.bucket.arnForObjects(`${OUTCOMES_PREFIX}*`),
        ],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${PREDICTIONS_PREFIX}*`),
          props.bucket.arnForObjects(`${OUTCOMES_PREFIX}*`),
        ],
      }),
    );
    // Without ListBucket, a GetObject of an outcome not yet written answers 403 instead of 404.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );
  }
}
