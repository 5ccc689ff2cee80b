import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { UPLOADS_PREFIX } from '../../contracts/s3-keys.ts';

/**
 * Where the accuracy job keeps its programs, intermediate output, bootstrap script
 * (mr/emr/emr-steps.ts: `mr/runs/<runId>/…`, `mr/bootstrap-node.sh`) and its EMR logs.
 */
export const JOB_PREFIX = 'mr/';

export interface StorageProps {
  /** Days an upload is kept; predictions/, labels/ and reports/ are kept. */
  readonly uploadRetentionDays: number;
  /** Days the accuracy job's scratch (mr/: programs, intermediate output, EMR logs) is kept. */
  readonly jobRetentionDays: number;
  /** Days an overwritten or deleted object version stays recoverable. */
  readonly noncurrentVersionDays: number;
  /** Days access logs (S3, ALB, VPC flow logs) are kept. */
  readonly logRetentionDays: number;
  /** Delete the buckets and their objects with the stack (for throw-away deployments). */
  readonly destroyOnDelete: boolean;
}

/** The headers the app sends with its presigned PUT (gateway/presign.ts signs exactly these). */
// If-None-Match: the presigned PUT is conditional (the URL works once).
const UPLOAD_HEADERS = ['content-type', 'x-amz-meta-model', 'if-none-match'];

/**
 * The data bucket — private, encrypted, TLS-only, versioned; browsers PUT to it from the app's
 * origin only — and the log bucket that receives its server access logs, the load balancer's access
 * logs and the VPC's rejected-flow logs.
 */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  /** The load balancer's access logs and the VPC's rejected flows. */
  readonly logBucket: s3.Bucket;
  /**
   * The data bucket's server access logs. A bucket of its own: its policy names the data bucket, whose
   * CORS names the load balancer, whose logging needs the log bucket's policy — one shared policy
   * would be a dependency cycle.
   */
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removal = {
      removalPolicy: props.destroyOnDelete ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.destroyOnDelete,
    };
    const logBucket = (id: string, accessLogs?: s3.IBucket) =>
      new s3.Bucket(this, id, {
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: accessLogs && `s3-access/${id}/`,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        // SSE-S3: the only encryption ALB access logs and S3 server access logs can be delivered into.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.logRetentionDays) }],
        ...removal,
      });
    this.accessLogBucket = logBucket('AccessLogBucket');
    this.logBucket = logBucket('LogBucket', this.accessLogBucket);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Labels, predictions and reports survive an accidental overwrite or delete for a while.
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 's3-access/',
      lifecycleRules: [
        {
          id: 'expire-uploads',
          prefix: UPLOADS_PREFIX,
          expiration: Duration.days(props.uploadRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          id: 'expire-job-scratch',
          prefix: JOB_PREFIX,
          expiration: Duration.days(props.jobRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // Versioning keeps what expiry and overwrites leave behind; this bounds it.
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
        },
      ],
      ...removal,
    });
  }

  /**
   * CORS for the app: browsers only PUT the image (presigned) from `origin`. The preflight (OPTIONS)
   * is answered by S3 for any rule that matches the method and headers; nothing is read back.
   */
  allowBrowserUploadsFrom(origin: string): void {
    this.bucket.addCorsRule({
      id: 'app-uploads',
      allowedOrigins: [origin],
      allowedMethods: [s3.HttpMethods.PUT],
      allowedHeaders: UPLOAD_HEADERS,
      maxAge: 3000,
    });
  }

  /** Invokes `fn` for every object created under `uploads/` — and nowhere else, so no write of ours loops. */
  notifyOnUpload(fn: lambda.IFunction): void {
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), {
      prefix: UPLOADS_PREFIX,
    });
  }
}
