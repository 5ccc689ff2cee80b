import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AccuracyCluster } from './accuracy-cluster.ts';
import { ClassifyFunction } from './classify-function.ts';
import type { DeployConfig } from './deploy-config.ts';
import { GatewayService } from './gateway-service.ts';
import { InferenceHost } from './inference-host.ts';
import { Network } from './network.ts';
import type { ReleaseArtifacts } from './release-bundle.ts';
import { SystemSecrets } from './secrets.ts';
import { Storage } from './storage.ts';

export interface PictorStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The bundled code (release-bundle.ts); only the three folders are used here. */
  readonly release: Pick<ReleaseArtifacts, 'lambdaDir' | 'gpuHostDir' | 'gatewayDir'>;
  /** mr/emr/bootstrap-node.sh when it exists. */
  readonly emrBootstrapScript?: string | undefined;
}

/**
 * The whole system in AWS: the bucket and its notification, the classify Lambda, the inference host,
 * the gateway behind its load balancer, the two secrets, and what EMR needs for the accuracy job.
 */
export class PictorStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly secrets: SystemSecrets;
  readonly inferenceHost: InferenceHost;
  readonly gateway: GatewayService;
  readonly classify: ClassifyFunction;
  readonly accuracy: AccuracyCluster;
  /** The origin the app is served from (and the bucket's CORS allows). */
  readonly appOrigin: string;

  constructor(scope: Construct, id: string, props: PictorStackProps) {
    super(scope, id, props);
    const { config, release } = props;

    this.network = new Network(this, 'Network');
    const { vpc, privateSubnets: subnets } = this.network;
    this.storage = new Storage(this, 'Storage', {
      uploadRetentionDays: config.uploadRetentionDays,
      destroyOnDelete: config.destroyDataOnDelete,
    });
    const { bucket } = this.storage;
    this.secrets = new SystemSecrets(this, 'Secrets');

    this.inferenceHost = new InferenceHost(this, 'InferenceHost', {
      vpc,
      subnets,
      instanceType: config.gpuInstanceType,
      releaseDir: release.gpuHostDir,
      nodeVersion: config.nodeVersion,
    });

    this.gateway = new GatewayService(this, 'Gateway', {
      vpc,
      subnets,
      instanceType: config.gatewayInstanceType,
      releaseDir: release.gatewayDir,
      nodeVersion: config.nodeVersion,
      bucket,
      inferenceUrl: this.inferenceHost.url,
      resultSigningSecret: this.secrets.resultSigning,
      uploadTokenSecret: this.secrets.uploadToken,
      defaultModel: config.defaultModel,
      certificateArn: config.certificateArn,
    });

    this.classify = new ClassifyFunction(this, 'Classify', {
      vpc,
      subnets,
      codeDir: release.lambdaDir,
      bucket,
      inferenceUrl: this.inferenceHost.url,
      gatewayUrl: this.gateway.internalUrl,
      resultSigningSecret: this.secrets.resultSigning,
      defaultModel: config.defaultModel,
      topK: config.topK,
    });

    this.inferenceHost.allowInferenceFrom(this.classify.securityGroup, 'classify Lambda');
    this.inferenceHost.allowInferenceFrom(this.gateway.securityGroup, 'gateway (GET /api/models)');
    this.gateway.allowResultsFrom(this.classify.securityGroup, 'classify Lambda posting results');
    this.storage.notifyOnUpload(this.classify.function);

    const scheme = config.certificateArn ? 'https' : 'http';
    this.appOrigin =
      config.appOrigin ??
      (config.domainName ? `${scheme}://${config.domainName}` : this.gateway.loadBalancerUrl);
    this.storage.allowBrowserUploadsFrom(this.appOrigin);

    this.accuracy = new AccuracyCluster(this, 'Accuracy', {
      vpc,
      bucket,
      bootstrapScript: props.emrBootstrapScript,
      cluster: config.withEmrCluster
        ? {
            releaseLabel: config.emrReleaseLabel,
            instanceType: config.emrInstanceType,
            coreInstances: config.emrCoreInstances,
            nodeVersion: config.nodeVersion,
          }
        : undefined,
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('AppUrl', this.appOrigin, 'Open this on the phone');
    output(
      'LoadBalancerDns',
      this.gateway.loadBalancer.loadBalancerDnsName,
      'CNAME/alias target for domainName',
    );
    output('BucketName', this.storage.bucket.bucketName, 'S3_BUCKET; --bucket of npm run accuracy');
    output('ClassifyFunctionName', this.classify.function.functionName, 'The S3-triggered Lambda');
    output('DeadLetterQueueUrl', this.classify.deadLetterQueue.queueUrl, 'Events the Lambda gave up on');
    output('GpuHostPrivateDns', this.inferenceHost.instance.instancePrivateDnsName, 'The inference host');
    output('InferenceUrl', this.inferenceHost.url, 'INFERENCE_URL of the Lambda and the gateway');
    output('GpuHostInstanceId', this.inferenceHost.instance.instanceId, 'aws ssm start-session --target …');
    output('GatewayInstanceId', this.gateway.instance.instanceId, 'aws ssm start-session --target …');
    output('EmrServiceRoleName', this.accuracy.serviceRole.roleName, 'EMR service role (--service-role)');
    output('EmrInstanceProfileName', this.accuracy.instanceProfileName, 'EMR EC2 instance profile');
    output('EmrLogUri', this.accuracy.logUri, 'EMR log location (--log-uri)');
    output(
      'AccuracySubmitPolicyArn',
      this.accuracy.submitPolicy.managedPolicyArn,
      'Attach to who runs the job',
    );
    if (this.accuracy.bootstrapScriptUrl) {
      output('EmrBootstrapScriptUrl', this.accuracy.bootstrapScriptUrl, 'Bootstrap action: installs Node');
    }
    if (this.accuracy.cluster) {
      output('EmrClusterId', this.accuracy.cluster.ref, 'The accuracy cluster');
      output(
        'AccuracyCommand',
        `npm run accuracy -- --emr --cluster-id ${this.accuracy.cluster.ref} --bucket ${this.storage.bucket.bucketName}`,
        'Runs the accuracy job on the cluster',
      );
    }
  }
}
