import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import { Construct } from 'constructs';
import { UPLOADS_PREFIX } from '../../contracts/s3-keys.ts';

export interface StorageProps {
  /** Days an upload is kept; predictions/, labels/ and reports/ are kept. */
  readonly uploadRetentionDays: number;
  /** Delete the bucket and its objects with the stack (for throw-away deployments). */
  readonly destroyOnDelete: boolean;
}

/** The headers the app sends with its presigned PUT (gateway/presign.ts signs exactly these). */
// If-None-Match: the presigned PUT is conditional (the URL works once).
const UPLOAD_HEADERS = ['content-type', 'x-amz-meta-model', 'if-none-match'];

/** The bucket: private, encrypted, TLS-only; browsers PUT to it from the app's origin only. */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-uploads',
          prefix: UPLOADS_PREFIX,
          expiration: Duration.days(props.uploadRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.destroyOnDelete ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.destroyOnDelete,
    });
  }

  /** CORS for the app: PUT the image, GET/HEAD for anything it reads back, from `origin` only. */
  allowBrowserUploadsFrom(origin: string): void {
    this.bucket.addCorsRule({
      id: 'app-uploads',
      allowedOrigins: [origin],
      allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
      allowedHeaders: UPLOAD_HEADERS,
      exposedHeaders: ['etag'],
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
