import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  LABELS_PREFIX,
  MODEL_DECISIONS_PREFIX,
  OUTCOMES_PREFIX,
  REPORTS_PREFIX,
  UPLOADS_PREFIX,
} from '../../contracts/s3-keys.ts';
import { type GroupSize, HostGroup } from './host-group.ts';
import { grantReadAsset, hostServiceUserData, INSTALL_DIR } from './host-user-data.ts';
import { pinnedImage, ubuntu2404Parameter } from './machine-images.ts';
import type { ResultCache } from './result-cache.ts';

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
  /** `http://inference.pictor.internal:8000`: the internal load balancer in front of the gpu-hosts. */
  readonly inferenceUrl: string;
  /** The shared result store (ElastiCache): every gateway's REDIS_URL. */
  readonly cache: ResultCache;
  /** How many gateways (deploy-config: gatewayMin/Max/DesiredCount); at least two, in two AZs. */
  readonly size: GroupSize;
  readonly resultSigningSecret: secretsmanager.ISecret;
  readonly uploadTokenSecret: secretsmanager.ISecret;
  readonly defaultModel: string;
  /** ACM certificate for the HTTPS listener; without one the ALB listens on plain HTTP. */
  readonly certificateArn?: string | undefined;
}

export const GATEWAY_PORT = 8080;
export const GATEWAY_HEALTH_PATH = '/api/health';
/** Longer than the gateway's WebSocket idleTimeout (120 s), so the gateway, not the ALB, ends idle sockets. */
const ALB_IDLE_TIMEOUT = Duration.seconds(180);
/** Written before each start of the gateway: `REDIS_URL=rediss://:<token>@<host>:<port>` (root only). */
export const REDIS_ENV_FILE = '/run/pictor-gateway-redis.env';
const REDIS_ENV_SCRIPT = '/usr/local/bin/pictor-gateway-redis-env';

/**
 * The script that writes `REDIS_URL=rediss://:<token>@<host>:<port>` into `envFile` (mode 600): the
 * cache's AUTH token read from Secrets Manager with the instance role, so it is in no template, user
 * data or process list. Values may be CDK tokens (resolved at deploy time).
 */
export function redisEnvScript(options: {
  region: string;
  secretArn: string;
  host: string;
  port: string;
  envFile: string;
}): string[] {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'export PATH="$PATH:/snap/bin"',
    `TOKEN="$(aws secretsmanager get-secret-value --region ${options.region} --secret-id ${options.secretArn} --query SecretString --output text)"`,
    // A token that is not one line of URL-safe characters would make a REDIS_URL the gateway refuses.
    `[[ "$TOKEN" =~ ^[A-Za-z0-9]+$ ]] || { echo 'the cache token must be letters and digits' >&2; exit 1; }`,
    `umask 077 && printf 'REDIS_URL=rediss://:%s@%s:%s\\n' "$TOKEN" ${options.host} ${options.port} > ${options.envFile}`,
  ];
}

/**
 * The gateways (gateway/: app, presign, WebSocket push) in an Auto Scaling group over two AZs behind
 * an internet-facing ALB. They share nothing but Redis (ElastiCache, `REDIS_URL`): a verdict posted to
 * any gateway reaches the phone on whichever gateway holds its socket, so the ALB needs no stickiness
 * and one gateway dying loses nothing (the outcome record in S3 stays the source of truth).
 */
export class GatewayService extends Construct {
  readonly hosts: HostGroup;
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
      readyUrl: `http://127.0.0.1:${GATEWAY_PORT}${GATEWAY_HEALTH_PATH}`,
      entry: 'dist/gateway.mjs',
      environment: {
        GATEWAY_BIND: '0.0.0.0',
        GATEWAY_PORT: String(GATEWAY_PORT),
        PUBLIC_DIR: `${INSTALL_DIR}/pwa/dist`,
        S3_BUCKET: props.bucket.bucketName,
        AWS_REGION: props.bucket.stack.region,
        INFERENCE_URL: props.inferenceUrl,
        DEFAULT_MODEL: props.defaultModel,
        // The ALB appends the client's address to X-Forwarded-For; only the two load balancers reach
        // this port (security group), so its entry is the one per-client limits go by.
        TRUSTED_PROXY_HOPS: '1',
        // Only the ARNs: the gateway reads the keys from Secrets Manager at start (gateway/config.ts).
        RESULT_SIGNING_SECRET_ARN: props.resultSigningSecret.secretArn,
        UPLOAD_TOKEN_SECRET_ARN: props.uploadTokenSecret.secretArn,
      },
      // REDIS_URL carries the cache's AUTH token, so it is neither in the template nor in the user
      // data: before each start, root reads the token from Secrets Manager and writes it into a
      // root-only file under /run that systemd hands the service as its environment. A restart reads
      // the token again (rotation: deploy/README.md).
      files: {
        [REDIS_ENV_SCRIPT]: {
          mode: '0700',
          lines: redisEnvScript({
            region: props.bucket.stack.region,
            secretArn: props.cache.authToken.secretArn,
            host: props.cache.host,
            port: props.cache.port,
            envFile: REDIS_ENV_FILE,
          }),
        },
      },
      startPre: [REDIS_ENV_SCRIPT],
      environmentFiles: [REDIS_ENV_FILE],
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Pictor gateway: port ${GATEWAY_PORT} from the public and the internal load balancer`,
      allowAllOutbound: true,
    });
    this.hosts = new HostGroup(this, 'Hosts', {
      vpc: props.vpc,
      subnets: props.subnets,
      instanceType,
      machineImage: pinnedImage(this, props.imageId, ubuntu2404Parameter(arm ? 'arm64' : 'amd64')),
      securityGroup: this.securityGroup,
      userData,
      rootVolumeGb: 20,
      size: props.size,
      bootTimeout: Duration.minutes(15),
      healthCheckGrace: Duration.minutes(15),
    });
    const role = this.hosts.role;
    grantReadAsset(release, role);
    props.cache.authToken.grantRead(role);
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
        // outcomes/: on a miss in memory, polls and subscriptions read the upload's outcome record;
        // model-decisions/: the learning loop's records, for the Accuracy page's model history.
        resources: [
          props.bucket.arnForObjects(`${REPORTS_PREFIX}*`),
          props.bucket.arnForObjects(`${OUTCOMES_PREFIX}*`),
          props.bucket.arnForObjects(`${MODEL_DECISIONS_PREFIX}*`),
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
      // No stickiness: any gateway serves any phone (Redis holds the results).
      targets: [this.hosts.group],
      healthCheck: {
        path: GATEWAY_HEALTH_PATH,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(10),
    });
    // Results come through the internal load balancer; the internet has no business on /internal/.
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

  /** Opens port 8080 to `peer` (the internal load balancer, through which the Lambdas post results). */
  allowResultsFrom(peer: ec2.IConnectable, description: string): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(GATEWAY_PORT), description);
  }
}
