import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ClassifyFunction } from './classify-function.ts';
import { LAMBDA_REDRIVE_FILE } from './release-bundle.ts';

export interface RedriveFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The Lambda bundle folder: `redrive.mjs` beside the classifier's `index.mjs` (release-bundle.ts). */
  readonly codeDir: string;
  readonly bucket: s3.IBucket;
  /** Its environment, permissions and security group are the re-drive's too: it runs the same code. */
  readonly classify: ClassifyFunction;
}

/** How often the sweep runs, and how long one run may take (it stops starting work before the end). */
export const REDRIVE_SCHEDULE = Duration.minutes(1);
export const REDRIVE_TIMEOUT = Duration.minutes(5);
/** An upload without an outcome this long after S3 stored it is re-driven (lambda/redrive-handler.ts). */
export const SWEEP_AGE_SECONDS = 120;
/** Uploads one run processes at once: on top of the classifier's reserved concurrency at the hosts. */
export const REDRIVE_CONCURRENCY = 8;

/**
 * The re-drive (lambda/redrive-handler.ts) on an EventBridge schedule, every minute: it sweeps the
 * bucket for uploads with no outcome after SWEEP_AGE_SECONDS — lost events, a crashed invocation, and
 * every event parked in the classifier's dead-letter queue — and processes them with the classifier's
 * code, so each ends in a verdict or a final error (GIVE_UP_AFTER_SECONDS). One run at a time
 * (reserved concurrency 1): a run still going when the next minute comes makes that tick throttle and
 * be dropped after a minute, not queue up behind it; the next tick sweeps again.
 */
export class RedriveFunction extends Construct {
  readonly function: lambda.Function;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RedriveFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new lambda.Function(this, 'Function', {
      description: 'Pictor: re-drives uploads that have no outcome after a while (every minute)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: `${LAMBDA_REDRIVE_FILE.replace(/\.mjs$/, '')}.handler`,
      code: lambda.Code.fromAsset(props.codeDir),
      memorySize: 512,
      timeout: REDRIVE_TIMEOUT,
      reservedConcurrentExecutions: 1,
      // A missed tick is not worth keeping: the next one, a minute later, sweeps the same uploads.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.classify.securityGroup],
      logGroup,
      environment: {
        ...props.classify.environment,
        S3_BUCKET: props.bucket.bucketName,
        SWEEP_AGE_SECONDS: String(SWEEP_AGE_SECONDS),
        REDRIVE_CONCURRENCY: String(REDRIVE_CONCURRENCY),
      },
    });
    props.classify.grantUploadProcessing(this.function);

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Pictor: run the re-drive sweep',
      schedule: events.Schedule.rate(REDRIVE_SCHEDULE),
      targets: [
        new eventTargets.LambdaFunction(this.function, {
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
  }
}
