import { Duration } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface InternalLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** Access logs go here (`internal-alb/` prefix). */
  readonly logBucket: s3.IBucket;
}

export interface InternalRoute {
  /** The listener's port, the same as the hosts' (8000 inference, 8080 gateway). */
  readonly port: number;
  readonly group: autoscaling.AutoScalingGroup;
  readonly healthCheckPath: string;
  /** Who may call this port: the Lambdas, the gateways. */
  readonly callers: ReadonlyArray<{ readonly peer: ec2.IConnectable; readonly description: string }>;
}

/**
 * One internal ALB in the private subnets, reachable only from inside the VPC, with a listener per
 * group of hosts: port 8000 spreads inference requests over the gpu-hosts, port 8080 result posts over
 * the gateways (so `/internal/results` never needs the public ALB, which answers 404 to `/internal/*`).
 * Requests, not connections, are balanced (an NLB would pin a keep-alive connection to one host), to
 * the target with the fewest requests outstanding, so a slow host gets fewer. One load balancer for
 * both: a second would cost another ≈ $16 a month for nothing.
 */
export class InternalLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroups: elbv2.ApplicationTargetGroup[] = [];

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Pictor internal load balancer: the inference and gateway ports from named callers only',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: false,
      securityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.logBucket, 'internal-alb');
  }

  /** Adds a listener on `route.port` forwarding to `route.group`, open to `route.callers` only. */
  route(name: string, route: InternalRoute): elbv2.ApplicationTargetGroup {
    const listener = this.loadBalancer.addListener(name, {
      port: route.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      // Callers are let in below, one security group at a time.
      open: false,
    });
    const targetGroup = listener.addTargets(name, {
      port: route.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [route.group],
      loadBalancingAlgorithmType: elbv2.TargetGroupLoadBalancingAlgorithmType.LEAST_OUTSTANDING_REQUESTS,
      healthCheck: {
        path: route.healthCheckPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      deregistrationDelay: Duration.seconds(10),
    });
    for (const caller of route.callers) {
      this.loadBalancer.connections.allowFrom(caller.peer, ec2.Port.tcp(route.port), caller.description);
    }
    this.targetGroups.push(targetGroup);
    return targetGroup;
  }
}
