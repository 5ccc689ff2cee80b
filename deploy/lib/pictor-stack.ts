import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { MODEL_REPOSITORY_PREFIX } from '../../contracts/s3-keys.ts';
import { AccuracyCluster } from './accuracy-cluster.ts';
import { ClassifyFunction } from './classify-function.ts';
import type { DeployConfig } from './deploy-config.ts';
import { GATEWAY_HEALTH_PATH, GATEWAY_PORT, GatewayService } from './gateway-service.ts';
import { INFERENCE_HEALTH_PATH, INFERENCE_PORT, InferenceHost } from './inference-host.ts';
import { InternalLoadBalancer } from './internal-load-balancer.ts';
import { ModelRepositorySeed } from './model-repository-seed.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { Network } from './network.ts';
import { OperationsAlarms } from './operations-alarms.ts';
import { RedriveFunction } from './redrive-function.ts';
import type { ReleaseArtifacts } from './release-bundle.ts';
import { ResultCache } from './result-cache.ts';
import { SystemSecrets } from './secrets.ts';
import { Storage } from './storage.ts';
import { WebAcl } from './web-acl.ts';

export interface PictorStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The bundled code (release-bundle.ts); only the three folders are used here. */
  readonly release: Pick<ReleaseArtifacts, 'lambdaDir' | 'gpuHostDir' | 'gatewayDir'>;
}

/**
 * The whole system in AWS: the buckets and the notification, the classify Lambda and its scheduled
 * re-drive, the inference hosts and the gateways in Auto Scaling groups (the gateways behind the
 * public ALB and its WAF, both behind the internal load balancer), the gateways' shared cache, the
 * secrets, the alarms, and what EMR needs for the accuracy job.
 */
export class PictorStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly secrets: SystemSecrets;
  readonly inferenceHost: InferenceHost;
  readonly modelRepository: ModelRepositorySeed;
  readonly gateway: GatewayService;
  readonly cache: ResultCache;
  readonly internalLoadBalancer: InternalLoadBalancer;
  readonly redrive: RedriveFunction;
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
    // Names of the internal load balancer, not of hosts: hosts come and go, no configuration changes.
    this.internalLoadBalancer = new InternalLoadBalancer(this, 'InternalLoadBalancer', {
      vpc,
      subnets,
      logBucket,
    });
    const internalLb = this.internalLoadBalancer.loadBalancer;
    this.inferenceUrl = this.network.addServiceName('inference', internalLb, INFERENCE_PORT);
    this.gatewayUrl = this.network.addServiceName('gateway', internalLb, GATEWAY_PORT);

    this.modelRepository = new ModelRepositorySeed(this, 'ModelRepository', {
      bucket,
      gpuHostDir: release.gpuHostDir,
    });
    this.inferenceHost = new InferenceHost(this, 'InferenceHost', {
      vpc,
      subnets,
      modelRepository: { bucket, prefix: MODEL_REPOSITORY_PREFIX },
      instanceType: config.gpuInstanceType,
      releaseDir: release.gpuHostDir,
      imageId: config.inferenceImageId,
      size: {
        min: config.inferenceMinCount,
        desired: config.inferenceDesiredCount,
        max: config.inferenceMaxCount,
      },
    });
    this.cache = new ResultCache(this, 'ResultCache', { vpc, subnets, nodeType: config.cacheNodeType });

    this.gateway = new GatewayService(this, 'Gateway', {
      vpc,
      subnets,
      instanceType: config.gatewayInstanceType,
      releaseDir: release.gatewayDir,
      imageId: config.gatewayImageId,
      logBucket,
      bucket,
      inferenceUrl: this.inferenceUrl,
      cache: this.cache,
      size: { min: config.gatewayMinCount, desired: config.gatewayDesiredCount, max: config.gatewayMaxCount },
      resultSigningSecret: this.secrets.resultSigning,
      uploadTokenSecret: this.secrets.uploadToken,
      defaultModel: config.defaultModel,
      certificateArn: config.certificateArn,
    });
    this.cache.allowFrom(this.gateway.securityGroup, 'gateways');
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
    // Every upload without an outcome after two minutes (the dead-letter queue's among them) is
    // processed again, every minute, with the same code and permissions.
    this.redrive = new RedriveFunction(this, 'Redrive', {
      vpc,
      subnets,
      codeDir: release.lambdaDir,
      bucket,
      classify: this.classify,
    });

    // Lambdas (classify and re-drive share a security group) → internal LB → gpu-hosts / gateways.
    const lambdas = { peer: this.classify.securityGroup, description: 'classify and re-drive Lambdas' };
    const inferenceTargets = this.internalLoadBalancer.route('Inference', {
      port: INFERENCE_PORT,
      group: this.inferenceHost.hosts.group,
      healthCheckPath: INFERENCE_HEALTH_PATH,
      callers: [lambdas, { peer: this.gateway.securityGroup, description: 'gateways (GET /api/models)' }],
    });
    const gatewayInternalTargets = this.internalLoadBalancer.route('Gateway', {
      port: GATEWAY_PORT,
      group: this.gateway.hosts.group,
      healthCheckPath: GATEWAY_HEALTH_PATH,
      callers: [{ ...lambdas, description: 'Lambdas posting results (/internal/results)' }],
    });
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
      redrive: this.redrive.function,
      loadBalancer: this.gateway.loadBalancer,
      targetGroups: [
        { id: 'Gateway', what: 'a gateway', targetGroup: this.gateway.targetGroup },
        { id: 'GatewayInternal', what: 'a gateway (internal listener)', targetGroup: gatewayInternalTargets },
        { id: 'Inference', what: 'a gpu-host', targetGroup: inferenceTargets },
      ],
      inferenceLatencyMs: config.inferenceLatencyAlarmMs,
    });
    // Hosts replaced (unhealthy, a rolling update) or failing to launch: the operators hear of it.
    this.inferenceHost.hosts.notifyOf(this.alarms.topic);
    this.gateway.hosts.notifyOf(this.alarms.topic);

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
    output('RedriveFunctionName', this.redrive.function.functionName, 'The re-drive sweep (every minute)');
    output('InferenceUrl', this.inferenceUrl, 'INFERENCE_URL of the Lambdas and the gateways (private DNS)');
    output('GatewayUrl', this.gatewayUrl, 'GATEWAY_URL of the Lambdas (internal load balancer)');
    output(
      'GpuHostGroupName',
      this.inferenceHost.hosts.group.autoScalingGroupName,
      'aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names …',
    );
    output(
      'GatewayGroupName',
      this.gateway.hosts.group.autoScalingGroupName,
      'aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names …',
    );
    output(
      'CacheEndpoint',
      `${this.cache.host}:${this.cache.port}`,
      'The gateways’ Valkey primary (TLS, AUTH)',
    );
    output('CacheAuthTokenArn', this.cache.authToken.secretArn, 'The cache’s AUTH token (Secrets Manager)');
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
