import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LABELS_PREFIX, OUTCOMES_PREFIX, REPORTS_PREFIX, UPLOADS_PREFIX } from '../../contracts/s3-keys.ts';
import { grantReadAsset, hostServiceUserData, INSTALL_DIR, signalWhenReady } from './host-user-data.ts';
import { pinnedImage, ubuntu2404Parameter } from './machine-images.ts';

export interface GatewayServiceProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** x86_64 or arm64: the uWebSockets.js build for Node 24 ships both. */
  readonly instanceType: string;
  /** The gateway release folder (see release-bundle.ts). */
  readonly releaseDir: string;
  /** An `ami-…` to run; absent, the image is pinned at first synthesis (machine-images.ts). */
  readonly imageId?: string | undefined;
  /** Where ALB access logs go (`alb/` prefix). */
  readonly logBucket: s3.IBucket;
  readonly bucket: s3.IBucket;
  /** `http://inference.pictor.internal:8000`: a stable name, so a new gpu-host leaves this instance be. */
  readonly inferenceUrl: string;
  readonly resultSigningSecret: secretsmanager.ISecret;
  readonly uploadTokenSecret: secretsmanager.ISecret;
  readonly defaultModel: string;
  /** ACM certificate for the HTTPS listener; without one the ALB listens on plain HTTP. */
  readonly certificateArn?: string | undefined;
}

export const GATEWAY_PORT = 8080;
/** Longer than the gateway's WebSocket idleTimeout (120 s), so the gateway, not the ALB, ends idle sockets. */
const ALB_IDLE_TIMEOUT = Duration.seconds(180);

/**
 * The gateway (gateway/: app, presign, WebSocket push) on one EC2 instance behind an internet-facing
 * ALB. One instance on purpose: verdicts wait in that process's memory, so a second instance would
 * need a shared result store (e.g. ElastiCache pub/sub) — see deploy/README.md.
 */
export class GatewayService extends Construct {
  readonly instance: ec2.Instance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** `https://<ALB DNS>` or `http://<ALB DNS>` (without a certificate). */
  readonly loadBalancerUrl: string;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: GatewayServiceProps) {
    super(scope, id);
    const instanceType = new ec2.InstanceType(props.instanceType);
    const arm = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;

    const release = new Asset(this, 'Release', { path: props.releaseDir });
    const userData = hostServiceUserData({
      unitName: 'pictor-gateway',
      description: 'Pictor gateway',
      release,
      architecture: instanceType.architecture,
      onnxruntimeInstall: 'skip',
      readyUrl: `http://127.0.0.1:${GATEWAY_PORT}/api/health`,
      entry: 'dist/gateway.mjs',
      environment: {
        GATEWAY_BIND: '0.0.0.0',
        GATEWAY_PORT: String(GATEWAY_PORT),
        PUBLIC_DIR: `${INSTALL_DIR}/pwa/dist`,
        S3_BUCKET: props.bucket.bucketName,
        AWS_REGION: props.bucket.stack.region,
        INFERENCE_URL: props.inferenceUrl,
        DEFAULT_MODEL: props.defaultModel,
        // The ALB appends the client's address to X-Forwarded-For; only the ALB and the Lambda reach
        // this port (security group), so its entry is the one per-client limits go by.
        TRUSTED_PROXY_HOPS: '1',
        // Only the ARNs: the gateway reads the keys from Secrets Manager at start (gateway/config.ts).
        RESULT_SIGNING_SECRET_ARN: props.resultSigningSecret.secretArn,
        UPLOAD_TOKEN_SECRET_ARN: props.uploadTokenSecret.secretArn,
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Pictor gateway: port ${GATEWAY_PORT} from the load balancer and the Lambda`,
      allowAllOutbound: true,
    });
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      instanceType,
      machineImage: pinnedImage(this, props.imageId, ubuntu2404Parameter(arm ? 'arm64' : 'amd64')),
      securityGroup: this.securityGroup,
      userData,
      userDataCausesReplacement: true,
      resourceSignalTimeout: Duration.minutes(15),
      requireImdsv2: true,
      // One-minute metrics: the recovery alarm and an operator see trouble within minutes.
      detailedMonitoring: true,
      ssmSessionPermissions: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    const role = this.instance.role;
    grantReadAsset(release, role);
    signalWhenReady(this.instance, userData);
    // User data downloads Node.js and npm packages: boot only once the NAT route exists.
    this.instance.node.addDependency(props.vpc.selectSubnets(props.subnets).internetConnectivityEstablished);
    props.resultSigningSecret.grantRead(role);
    props.uploadTokenSecret.grantRead(role);
    // Presigned PUTs are signed with this role's credentials, so the role itself must be allowed to PUT.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${UPLOADS_PREFIX}*`),
          props.bucket.arnForObjects(`${LABELS_PREFIX}*`),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        // outcomes/: on a miss in memory, polls and subscriptions read the upload's outcome record.
        resources: [
          props.bucket.arnForObjects(`${REPORTS_PREFIX}*`),
          props.bucket.arnForObjects(`${OUTCOMES_PREFIX}*`),
        ],
      }),
    );
    // Without ListBucket, S3 answers a GetObject for a missing key with 403 instead of 404, and the
    // gateway could not tell "no accuracy report yet" from a real failure. A prefix condition does not
    // help (GetObject carries no s3:prefix), so this lists key names — never contents — bucket-wide.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }),
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      idleTimeout: ALB_IDLE_TIMEOUT,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.logBucket, 'alb');
    const https = props.certificateArn !== undefined;
    const listener = https
      ? this.loadBalancer.addListener('Https', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn as string)],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        })
      : this.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP });
    if (https) this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });

    this.targetGroup = listener.addTargets('Gateway', {
      port: GATEWAY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [new targets.InstanceTarget(this.instance, GATEWAY_PORT)],
      healthCheck: {
        path: '/api/health',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(10),
    });
    // InstanceTarget registers the instance but opens nothing: let the load balancer in explicitly.
    this.securityGroup.connections.allowFrom(this.loadBalancer, ec2.Port.tcp(GATEWAY_PORT), 'load balancer');
    // Results come from the Lambda inside the VPC; the internet has no business on /internal/.
    listener.addAction('BlockInternal', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/internal/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'text/plain',
        messageBody: 'Not Found',
      }),
    });

    this.loadBalancerUrl = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }

  /** Opens port 8080 to `peer` directly (the Lambda posts results there, bypassing the ALB). */
  allowResultsFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(GATEWAY_PORT), description);
  }
}
