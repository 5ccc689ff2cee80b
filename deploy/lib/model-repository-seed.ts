import { join } from 'node:path';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { MODEL_REPOSITORY_PREFIX } from '../../contracts/s3-keys.ts';

export interface ModelRepositorySeedProps {
  readonly bucket: s3.IBucket;
  /** The gpu-host release folder; its `models/` is the committed repository (release-bundle.ts). */
  readonly gpuHostDir: string;
}

/**
 * Seeds the model repository in S3 (`models/` in the system's bucket) with the committed model
 * versions at each deploy. It only adds and overwrites versions (no prune: versions the learning loop
 * promoted in AWS stay), and never writes `serving.json`: which version is the default is the loop's
 * word alone (promotion and rollback write it), so a redeploy cannot undo a promotion.
 */
export class ModelRepositorySeed extends Construct {
  readonly deployment: BucketDeployment;

  constructor(scope: Construct, id: string, props: ModelRepositorySeedProps) {
    super(scope, id);
    this.deployment = new BucketDeployment(this, 'Models', {
      sources: [
        Source.asset(join(props.gpuHostDir, 'models'), { exclude: ['**/serving.json', '**/golden.json'] }),
      ],
      destinationBucket: props.bucket,
      destinationKeyPrefix: MODEL_REPOSITORY_PREFIX,
      prune: false,
      retainOnDelete: true,
      exclude: ['*/serving.json'],
      memoryLimit: 512,
    });
  }
}
