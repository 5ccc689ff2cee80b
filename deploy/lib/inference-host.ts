import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { type GroupSize, HostGroup } from './host-group.ts';
import { grantReadAsset, hostServiceUserData, INSTALL_DIR } from './host-user-data.ts';
import { LATENCY_NAMESPACE, latencyRelayCommands } from './latency-metric.ts';
import { DLAMI_UBUNTU_2404_PARAMETER, pinnedImage, ubuntu2404Parameter } from './machine-images.ts';

export interface InferenceHostProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** e.g. `g5.xlarge` (CUDA) or `c7i.large` / `c7g.large` (CPU). */
  readonly instanceType: string;
  /** The gpu-host release folder (see release-bundle.ts). */
  readonly releaseDir: string;
  /** An `ami-…` to run; absent, the image is pinned at first synthesis (machine-images.ts). */
  readonly imageId?: string | undefined;
  /** How many hosts (deploy-config: inferenceMin/Max/DesiredCount). */
  readonly size: GroupSize;
  /** The model repository in S3 (model-repository-seed.ts), which every host syncs and polls. */
  readonly modelRepository: { readonly bucket: s3.IBucket; readonly prefix: string };
}

/**
 * How often each host re-syncs its repository from S3 and reloads what changed. Poll mode rather than
 * explicit: a `load` sent through the internal load balancer reaches one host of the group, while
 * polling brings a promotion (or rollback) to every host, and to a host that boots later, within this.
 */
export const REPOSITORY_POLL_SECONDS = 60;

export const INFERENCE_PORT = 8000;
/** Root volume sizes (GB, gp3); the DLAMI's snapshot needs well over 75 GB. */
export const GPU_ROOT_GB = 150;
export const CPU_ROOT_GB = 30;

/**
 * Finds the newest CUDA 12 on the image (onnxruntime-node 1.30's CUDA provider links against CUDA 12
 * and cuDNN 9; the DLAMI's default /usr/local/cuda may be a newer major). `find` succeeds when nothing
 * matches, so the fallback branch runs under `set -euo pipefail` instead of aborting the boot.
 */
export const FIND_CUDA_12 = [
  'CUDA_HOME="$(find /usr/local -maxdepth 1 -type d -name \'cuda-12.*\' | sort -V | tail -n 1)"',
  'if [ -z "$CUDA_HOME" ]; then echo "no CUDA 12 under /usr/local: gpu-host will fall back to CPU"; CUDA_HOME=/usr/local/cuda; fi',
];

/** True for the NVIDIA GPU families (g4dn, g5, g6, g6e, p4d, p5, …). */
export function isGpuInstanceType(instanceType: string): boolean {
  return /^[gp]\d/.test(instanceType);
}

/** The gpu-host's readiness route: the internal load balancer's health check and the boot's wait. */
export const INFERENCE_HEALTH_PATH = '/v2/health/ready';

/**
 * The inference servers (gpu-host/) in an Auto Scaling group over the private subnets of two AZs,
 * behind the internal load balancer (internal-load-balancer.ts). Nothing reaches port 8000 unless
 * `allowInferenceFrom` lets it; there is no SSH (use SSM Session Manager).
 */
export class InferenceHost extends Construct {
  readonly hosts: HostGroup;
  readonly securityGroup: ec2.SecurityGroup;
  /** `cuda,cpu` on a GPU instance, `cpu` otherwise. */
  readonly executionProviders: string;

  constructor(scope: Construct, id: string, props: InferenceHostProps) {
    super(scope, id);
    const instanceType = new ec2.InstanceType(props.instanceType);
    const architecture = instanceType.architecture;
    const gpu = isGpuInstanceType(props.instanceType);
    if (gpu && architecture === ec2.InstanceArchitecture.ARM_64) {
      throw new Error(
        `gpuInstanceType ${props.instanceType}: onnxruntime-node has no CUDA build for ARM; use g4dn/g5/g6 or a CPU type`,
      );
    }
    this.executionProviders = gpu ? 'cuda,cpu' : 'cpu';

    const release = new Asset(this, 'Release', { path: props.releaseDir });
    const userData = hostServiceUserData({
      unitName: 'pictor-gpu-host',
      description: 'Pictor inference host (gpu-host)',
      release,
      architecture,
      onnxruntimeInstall: gpu ? 'cuda12' : 'skip',
      readyUrl: `http://127.0.0.1:${INFERENCE_PORT}${INFERENCE_HEALTH_PATH}`,
      entry: 'dist/gpu-host.mjs',
      environment: {
        GPU_HOST_BIND: '0.0.0.0',
        GPU_HOST_PORT: String(INFERENCE_PORT),
        // The release's committed models, brought up to date from S3 at start and on every poll.
        MODEL_REPOSITORY: `${INSTALL_DIR}/models`,
        MODEL_REPOSITORY_S3_URL: `s3://${props.modelRepository.bucket.bucketName}/${props.modelRepository.prefix}`,
        MODEL_CONTROL_MODE: 'poll',
        REPOSITORY_POLL_SECONDS: String(REPOSITORY_POLL_SECONDS),
        AWS_REGION: Stack.of(this).region,
        EXECUTION_PROVIDERS: this.executionProviders,
      },
      preInstall: gpu ? FIND_CUDA_12 : [],
      runtimeEnvironmentLines: gpu ? ['LD_LIBRARY_PATH=$CUDA_HOME/lib64:$CUDA_HOME/lib'] : [],
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Pictor gpu-host: port ${INFERENCE_PORT} from the internal load balancer only`,
      allowAllOutbound: true,
    });
    this.hosts = new HostGroup(this, 'Hosts', {
      vpc: props.vpc,
      subnets: props.subnets,
      instanceType,
      machineImage: pinnedImage(
        this,
        props.imageId,
        gpu
          ? DLAMI_UBUNTU_2404_PARAMETER
          : ubuntu2404Parameter(architecture === ec2.InstanceArchitecture.ARM_64 ? 'arm64' : 'amd64'),
      ),
      securityGroup: this.securityGroup,
      userData,
      // The root volume, encrypted on both images. The DLAMI's own snapshot is large (CUDA toolkits);
      // a CPU host needs room for Node, node_modules (both uWebSockets.js builds) and the models.
      rootVolumeGb: gpu ? GPU_ROOT_GB : CPU_ROOT_GB,
      size: props.size,
      bootTimeout: Duration.minutes(gpu ? 40 : 20),
      // The load balancer's verdict counts only once a host has had time to install and start.
      healthCheckGrace: Duration.minutes(gpu ? 40 : 20),
    });
    // The host's own latency histogram, as a CloudWatch metric the InferenceLatency alarm watches.
    userData.addCommands(
      ...latencyRelayCommands(Stack.of(this).region, `http://127.0.0.1:${INFERENCE_PORT}/metrics`),
    );
    this.hosts.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': LATENCY_NAMESPACE } },
      }),
    );
    grantReadAsset(release, this.hosts.role);
    // Read-only, and only the repository: listing its prefix, getting its objects.
    const { bucket, prefix } = props.modelRepository;
    this.hosts.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    this.hosts.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
  }

  /** Opens port 8000 to `peer` (the internal load balancer). */
  allowInferenceFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(INFERENCE_PORT), description);
  }
}
