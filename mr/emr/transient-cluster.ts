import type { RunJobFlowCommandInput, StepConfig } from '@aws-sdk/client-emr';
import { z } from 'zod';
import { describeIssues } from '../../contracts/zod-issues.ts';

/** AmazonEMRServicePolicy_v2 only touches resources carrying this tag (deploy/lib/accuracy-cluster.ts). */
export const EMR_MANAGED_TAG = 'for-use-with-amazon-emr-managed-policies';

/**
 * What a transient cluster for one run needs, as the stack outputs it (`EmrClusterSpec`, JSON): the
 * roles, the private subnet and EMR's three security groups, where logs go, the bootstrap script.
 */
export const clusterSpecSchema = z.object({
  releaseLabel: z.string().regex(/^emr-\d+\.\d+\.\d+$/, 'must be an EMR release label like emr-7.5.0'),
  instanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type'),
  coreInstances: z.number().int().min(1).max(20),
  serviceRole: z.string().min(1),
  instanceProfile: z.string().min(1),
  subnetId: z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id'),
  primarySecurityGroup: z.string().regex(/^sg-[0-9a-f]+$/),
  coreSecurityGroup: z.string().regex(/^sg-[0-9a-f]+$/),
  serviceAccessSecurityGroup: z.string().regex(/^sg-[0-9a-f]+$/),
  logUri: z.string().startsWith('s3://'),
  /** Seconds without a step after which EMR ends the cluster, should the last step not. */
  idleTimeoutSeconds: z.number().int().min(60).max(604_800).default(900),
});
export type ClusterSpec = z.infer<typeof clusterSpecSchema>;

/** Parses the `--cluster-spec` JSON, naming each bad field. */
export function parseClusterSpec(json: string): ClusterSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('--cluster-spec is not JSON: pass the EmrClusterSpec output of the stack');
  }
  const parsed = clusterSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`--cluster-spec is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * The RunJobFlow request of a cluster that exists for one run: Hadoop, Node installed on every node by
 * the bootstrap action, the run's steps, and no life after them — it terminates when the last step
 * ends (successful or not), and after `idleTimeoutSeconds` idle should that ever not happen.
 */
export function transientClusterRequest(
  spec: ClusterSpec,
  runId: string,
  bootstrapScriptUrl: string,
  steps: StepConfig[],
): RunJobFlowCommandInput {
  return {
    Name: `pictor-accuracy ${runId}`,
    ReleaseLabel: spec.releaseLabel,
    Applications: [{ Name: 'Hadoop' }],
    ServiceRole: spec.serviceRole,
    JobFlowRole: spec.instanceProfile,
    LogUri: spec.logUri,
    Instances: {
      Ec2SubnetId: spec.subnetId,
      EmrManagedMasterSecurityGroup: spec.primarySecurityGroup,
      EmrManagedSlaveSecurityGroup: spec.coreSecurityGroup,
      ServiceAccessSecurityGroup: spec.serviceAccessSecurityGroup,
      InstanceGroups: [
        { Name: 'primary', InstanceRole: 'MASTER', InstanceType: spec.instanceType, InstanceCount: 1 },
        {
          Name: 'core',
          InstanceRole: 'CORE',
          InstanceType: spec.instanceType,
          InstanceCount: spec.coreInstances,
        },
      ],
      KeepJobFlowAliveWhenNoSteps: false,
      TerminationProtected: false,
    },
    BootstrapActions: [
      { Name: 'install-node', ScriptBootstrapAction: { Path: bootstrapScriptUrl, Args: [] } },
    ],
    Steps: steps,
    AutoTerminationPolicy: { IdleTimeout: spec.idleTimeoutSeconds },
    VisibleToAllUsers: true,
    Tags: [
      { Key: EMR_MANAGED_TAG, Value: 'true' },
      { Key: 'pictor:run-id', Value: runId },
    ],
  };
}
