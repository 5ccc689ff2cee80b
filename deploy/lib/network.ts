import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** The private DNS zone the services find each other in (only resolvable inside the VPC). */
export const PRIVATE_ZONE = 'pictor.internal';

/**
 * The VPC: two AZs (the load balancer needs two), public subnets for the ALB and the NAT gateway,
 * private subnets for the Lambdas, the hosts, the internal ALB and the cache. One NAT gateway — hosts download Node.js,
 * npm packages and the CUDA provider at boot — and a free S3 gateway endpoint so S3 traffic skips it.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /**
   * `inference.pictor.internal`, `gateway.pictor.internal`: peers are addressed by these stable names
   * (alias records of the internal load balancer), never by a host's own address, so hosts come and go
   * without any other part's configuration changing.
   */
  readonly zone: route53.PrivateHostedZone;

  constructor(scope: Construct, id: string, props: { flowLogs: ec2.FlowLogDestination }) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      // Rejected traffic only: what was refused, and from where, without paying to log every packet.
      flowLogs: { rejected: { destination: props.flowLogs, trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    this.zone = new route53.PrivateHostedZone(this, 'Zone', { zoneName: PRIVATE_ZONE, vpc: this.vpc });
  }

  /**
   * Points `<name>.pictor.internal` at a load balancer (an alias record: it follows the load
   * balancer's changing addresses) and returns `http://<name>.pictor.internal:<port>`.
   */
  addServiceName(name: string, loadBalancer: elbv2.ILoadBalancerV2, port: number): string {
    new route53.ARecord(this, `${name}Record`, {
      zone: this.zone,
      recordName: name,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)),
    });
    return `http://${name}.${PRIVATE_ZONE}:${port}`;
  }

  /** Where the Lambda and the instances go. */
  get privateSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  }
}
