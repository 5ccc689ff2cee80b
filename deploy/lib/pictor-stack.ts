import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { AccuracyCluster } from './accuracy-cluster.ts';
import { ClassifyFunction } from './classify-function.ts';
import type { DeployConfig } from './deploy-config.ts';
import { GATEWAY_PORT, GatewayService } from './gateway-service.ts';
import { INFERENCE_PORT, InferenceHost } from './inference-host.ts';
import { recoverOnSystemFailure } from './instance-recovery.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { Network } from './network.ts';
import { OperationsAlarms } from './operations-alarms.ts';
import type { ReleaseArtifacts } from './release-bundle.ts';
import { SystemSecrets } from './secrets.ts';
import { Storage } from './storage.ts';
import { WebAcl } from './web-acl.ts';

export interface PictorStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The bundled code (release-bundle.ts); only the three folders are used here. */
  readonly release: Pick<ReleaseArtifacts, 'lambdaDir' | 'gpuHostDir' | 'gatewayDir'>;
}

/**
 * The whole system in AWS: the buckets and the notification, the classify Lambda, the inference host,
 * the gateway behind its load balancer and WAF, the two secrets, the alarms, and what EMR needs for
 * the accuracy job.
 */
export class PictorStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly secrets: SystemSecrets;
  readonly inferenceHost: InferenceHost;
  readonly gateway: GatewayService;
  readonly webAcl: WebAcl;
  readonly classify: ClassifyFunction;
  readonly accuracy: AccuracyCluster;
  readonly alarms: OperationsAlarms;
  /** `http://inference.pictor.internal:8000`, `http://gateway.pictor.internal:8080`: stable names. */
  readonly inferenceUrl: string;
  readonly gatewayUrl: string;
  /** The origin the app is served from (and the bucket's CORS allows). */
  readonly appOrigin: string;

  constructor(scope: Construct, id: string, props: PictorStackProps) {
    super(scope, id, props);
    const { config, release } = props;

    this.storage = new Storage(this, 'Storage', {
      uploadRetentionDays: config.uploadRetentionDays,
      jobRetentionDays: config.jobRetentionDays,
      noncurrentVersionDays: config.noncurrentVersionDays,
      logRetentionDays: config.logRetentionDays,
      destroyOnDelete: config.destroyDataOnDelete,
    });
    const { bucket, logBucket } = this.storage;
    this.network = new Network(this, 'Network', {
      flowLogs: ec2.FlowLogDestination.toS3(logBucket, 'vpc-flow-logs/'),
    });
    const { vpc, privateSubnets: subnets } = this.network;
    this.secrets = new SystemSecrets(this, 'Secrets');
    // Names, not addresses: a replaced gpu-host changes a DNS record, not the gateway or the Lambda.
    this.inferenceUrl = `http://inference.${this.network.zone.zoneName}:${INFERENCE_PORT}`;
    this.gatewayUrl = `http://gateway.${this.network.zone.zoneName}:${GATEWAY_PORT}`;

    this.inferenceHost = new InferenceHost(this, 'InferenceHost', {
      vpc,
      subnets,
      instanceType: config.gpuInstanceType,
      releaseDir: release.gpuHostDir,
      imageId: config.inferenceImageId,
    });
    this.network.addServiceName('inference', this.inferenceHost.instance.instancePrivateIp, INFERENCE_PORT);

    this.gateway = new GatewayService(this, 'Gateway', {
      vpc,
      subnets,
      instanceType: config.gatewayInstanceType,
      releaseDir: release.gatewayDir,
      imageId: config.gatewayImageId,
      logBucket,
      bucket,
      inferenceUrl: this.inferenceUrl,
      resultSigningSecret: this.secrets.resultSigning,
      uploadTokenSecret: this.secrets.uploadToken,
      defaultModel: config.defaultModel,
      certificateArn: config.certificateArn,
    });
    this.network.addServiceName('gateway', this.gateway.instance.instancePrivateIp, GATEWAY_PORT);
    this.webAcl = new WebAcl(this, 'WebAcl', {
      loadBalancer: this.gateway.loadBalancer,
      uploadRateLimit: config.uploadRateLimit,
      requestRateLimit: config.requestRateLimit,
    });

    this.classify = new ClassifyFunction(this, 'Classify', {
      vpc,
      subnets,
      codeDir: release.lambdaDir,
      bucket,
      inferenceUrl: this.inferenceUrl,
      gatewayUrl: this.gatewayUrl,
      resultSigningSecret: this.secrets.resultSigning,
      defaultModel: config.defaultModel,
      topK: config.topK,
      reservedConcurrency: config.lambdaConcurrency,
    });
    // A later issue adds the dead-letter re-drive (lambda/redrive-handler.ts) here: a second function
    // beside `this.classify`, reading `this.classify.deadLetterQueue` and re-invoking the classifier.

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
      cluster: {
        releaseLabel: config.emrReleaseLabel,
        instanceType: config.emrInstanceType,
        coreInstances: config.emrCoreInstances,
      },
    });

    this.alarms = new OperationsAlarms(this, 'Alarms', {
      topicArn: config.alarmTopicArn,
      email: config.alarmEmail,
      deadLetterQueue: this.classify.deadLetterQueue,
      classify: this.classify.function,
      loadBalancer: this.gateway.loadBalancer,
      targetGroup: this.gateway.targetGroup,
      inferenceLatencyMs: config.inferenceLatencyAlarmMs,
    });
    recoverOnSystemFailure(this.inferenceHost.instance, 'gpu-host', this.alarms.topic);
    recoverOnSystemFailure(this.gateway.instance, 'gateway', this.alarms.topic);

    this.addOutputs();
    acknowledgeNagFindings(this);
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    const bucketName = this.storage.bucket.bucketName;
    output('AppUrl', this.appOrigin, 'Open this on the phone');
    output(
      'LoadBalancerDns',
      this.gateway.loadBalancer.loadBalancerDnsName,
      'CNAME/alias target for domainName',
    );
    output('BucketName', bucketName, 'S3_BUCKET; --bucket of npm run accuracy');
    output('LogBucketName', this.storage.logBucket.bucketName, 'S3, ALB and VPC flow logs');
    output('ClassifyFunctionName', this.classify.function.functionName, 'The S3-triggered Lambda');
    output('DeadLetterQueueUrl', this.classify.deadLetterQueue.queueUrl, 'Events the Lambda gave up on');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'Subscribe to hear of alarms');
    output('InferenceUrl', this.inferenceUrl, 'INFERENCE_URL of the Lambda and the gateway (private DNS)');
    output('GpuHostInstanceId', this.inferenceHost.instance.instanceId, 'aws ssm start-session --target …');
    output('GatewayInstanceId', this.gateway.instance.instanceId, 'aws ssm start-session --target …');
    output('EmrServiceRoleName', this.accuracy.serviceRole.roleName, 'EMR service role');
    output('EmrInstanceProfileName', this.accuracy.instanceProfileName, 'EMR EC2 instance profile');
    output('EmrLogUri', this.accuracy.logUri, 'EMR log location');
    output(
      'AccuracySubmitPolicyArn',
      this.accuracy.submitPolicy.managedPolicyArn,
      'Attach to who runs the job',
    );
    const spec = this.toJsonString(this.accuracy.spec);
    output('EmrClusterSpec', spec, '--cluster-spec of npm run accuracy -- --emr (a cluster per run)');
    output(
      'AccuracyCommand',
      `npm run accuracy -- --emr --region ${this.region} --bucket ${bucketName} --cluster-spec '${spec}'`,
      'Runs the accuracy job on a cluster created for the run, which terminates after it',
    );
  }
}
