import { Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LABELS_PREFIX, PREDICTIONS_PREFIX, REPORTS_PREFIX } from '../../contracts/s3-keys.ts';

import { EMR_MANAGED_TAG } from '../../mr/emr/transient-cluster.ts';
import { JOB_PREFIX } from './storage.ts';

export { JOB_PREFIX };

export interface AccuracyClusterOptions {
  readonly releaseLabel: string;
  readonly instanceType: string;
  readonly coreInstances: number;
}

export interface AccuracyClusterProps {
  readonly vpc: ec2.IVpc;
  readonly bucket: s3.IBucket;
  /** The transient clusters' shape. */
  readonly cluster: AccuracyClusterOptions;
}

/**
 * What EMR needs to run the accuracy job (mr/, `npm run accuracy -- --emr`): the EMR service role, the
 * nodes' instance profile — reading predictions/ and labels/, writing reports/ and mr/ and nothing
 * else of the bucket — a policy for whoever submits the job, and the spec of a transient cluster.
 */
export class AccuracyCluster extends Construct {
  readonly serviceRole: iam.Role;
  readonly instanceRole: iam.Role;
  /** Same name as `instanceRole`: EMR refuses an instance profile named differently from its role. */
  readonly instanceProfileName: string;
  /** Attach to the IAM user or role that runs `npm run accuracy -- --emr`. */
  readonly submitPolicy: iam.ManagedPolicy;
  readonly logUri: string;
  /** The `--cluster-spec` of a transient cluster (mr/emr/transient-cluster.ts), with CloudFormation tokens. */
  readonly spec: Record<string, string | number>;

  constructor(scope: Construct, id: string, props: AccuracyClusterProps) {
    super(scope, id);
    const { bucket } = props;
    const stack = Stack.of(this);
    this.logUri = bucket.s3UrlForObject(`${JOB_PREFIX}logs/`);

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Pictor accuracy job: EMR nodes',
    });
    // Key patterns without the trailing slash: Hadoop's S3 file system also looks at `predictions`
    // itself and at `…_$folder$` markers, and must get a 404 (not a 403) for them.
    const readable = [PREDICTIONS_PREFIX, LABELS_PREFIX, REPORTS_PREFIX, JOB_PREFIX].map(withoutSlash);
    const writable = [REPORTS_PREFIX, JOB_PREFIX].map(withoutSlash);
    this.instanceRole.addToPolicy(
      // Listing names only. S3 answers 404 for a missing key only to a caller that may list the bucket,
      // and a prefix condition cannot express that (a HEAD carries no s3:prefix).
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: readable.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        // Hadoop writes its output through a temporary folder it then renames (copy + delete).
        actions: [
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: writable.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        // What EMR's on-node agents read about their own cluster, and EMR's regional library bucket.
        actions: [
          'elasticmapreduce:DescribeCluster',
          'elasticmapreduce:ListBootstrapActions',
          'elasticmapreduce:ListInstanceGroups',
          'elasticmapreduce:ListInstances',
          'elasticmapreduce:ListSteps',
        ],
        resources: ['*'],
      }),
    );
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${stack.partition}:s3:::${stack.region}.elasticmapreduce/*`],
      }),
    );
    const instanceProfile = new iam.CfnInstanceProfile(this, 'InstanceProfile', {
      roles: [this.instanceRole.roleName],
      instanceProfileName: this.instanceRole.roleName,
    });
    this.instanceProfileName = this.instanceRole.roleName;

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com'),
      description: 'Pictor accuracy job: the EMR service',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEMRServicePolicy_v2')],
    });
    // The v2 managed policy may only pass a role named EMR_EC2_DefaultRole; ours has another name.
    this.serviceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.instanceRole.roleArn],
        conditions: { StringLike: { 'iam:PassedToService': 'ec2.amazonaws.com*' } },
      }),
    );

    this.submitPolicy = new iam.ManagedPolicy(this, 'SubmitPolicy', {
      description: 'Pictor: run the accuracy job on EMR (npm run accuracy -- --emr)',
      statements: [
        new iam.PolicyStatement({
          actions: [
            'elasticmapreduce:AddTags',
            'elasticmapreduce:AddJobFlowSteps',
            'elasticmapreduce:DescribeCluster',
            'elasticmapreduce:DescribeStep',
            'elasticmapreduce:ListSteps',
            'elasticmapreduce:CancelSteps',
          ],
          resources: [
            stack.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' }),
          ],
        }),
        new iam.PolicyStatement({
          // RunJobFlow names no existing resource (IAM takes only "*"); the cluster it creates must carry
          // the tag the EMR v2 managed policy requires, as mr/emr/transient-cluster.ts sets it.
          actions: ['elasticmapreduce:RunJobFlow'],
          resources: ['*'],
          conditions: { StringEquals: { [`aws:RequestTag/${EMR_MANAGED_TAG}`]: 'true' } },
        }),
        new iam.PolicyStatement({
          // RunJobFlow hands EMR its two roles: exactly these, and only to EMR.
          actions: ['iam:PassRole'],
          resources: [this.serviceRole.roleArn, this.instanceRole.roleArn],
          conditions: {
            StringLike: { 'iam:PassedToService': ['elasticmapreduce.amazonaws.com', 'ec2.amazonaws.com*'] },
          },
        }),
        new iam.PolicyStatement({
          // The CLI checks predictions/ and labels/ hold something before it submits.
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: {
            StringLike: {
              's3:prefix': [PREDICTIONS_PREFIX, LABELS_PREFIX, REPORTS_PREFIX, JOB_PREFIX].map(
                (p) => `${p}*`,
              ),
            },
          },
        }),
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:GetObject'],
          resources: [bucket.arnForObjects(`${JOB_PREFIX}*`)],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(`${REPORTS_PREFIX}*`)],
        }),
      ],
    });

    this.spec = this.transientClusterSpec(props, props.cluster, instanceProfile);
  }

  /**
   * What `npm run accuracy -- --emr --cluster-spec '<json>'` needs to create a cluster for one run:
   * EMR's three security groups (tagged for the v2 managed policy), a tagged private subnet, the roles.
   * No cluster lives in the stack: each run's cluster terminates after its last step.
   */
  private transientClusterSpec(
    props: AccuracyClusterProps,
    options: AccuracyClusterOptions,
    instanceProfile: iam.CfnInstanceProfile,
  ): Record<string, string | number> {
    const { vpc } = props;
    const subnet = vpc.privateSubnets[0];
    if (subnet === undefined) throw new Error('the accuracy cluster needs a private subnet');
    const group = (id: string, description: string, allowAllOutbound = true) => {
      const sg = new ec2.SecurityGroup(this, id, { vpc, description, allowAllOutbound });
      Tags.of(sg).add(EMR_MANAGED_TAG, 'true');
      return sg;
    };
    const primary = group('PrimarySecurityGroup', 'Pictor EMR primary node (rules managed by EMR)');
    const core = group('CoreSecurityGroup', 'Pictor EMR core nodes (rules managed by EMR)');
    const serviceAccess = group(
      'ServiceAccessSecurityGroup',
      'Pictor EMR service access (private subnet)',
      false,
    );
    serviceAccess.addIngressRule(primary, ec2.Port.tcp(9443), 'EMR service access from the primary node');
    serviceAccess.addEgressRule(primary, ec2.Port.tcp(8443), 'EMR service to the primary node');
    serviceAccess.addEgressRule(core, ec2.Port.tcp(8443), 'EMR service to the core nodes');
    Tags.of(subnet).add(EMR_MANAGED_TAG, 'true');
    return {
      releaseLabel: options.releaseLabel,
      instanceType: options.instanceType,
      coreInstances: options.coreInstances,
      serviceRole: this.serviceRole.roleName,
      instanceProfile: instanceProfile.ref,
      subnetId: subnet.subnetId,
      primarySecurityGroup: primary.securityGroupId,
      coreSecurityGroup: core.securityGroupId,
      serviceAccessSecurityGroup: serviceAccess.securityGroupId,
      logUri: this.logUri,
    };
  }
}

function withoutSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}
