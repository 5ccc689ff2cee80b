import { type CfnElement, type Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** How many hosts a group runs: at least `min`, at most `max`, `desired` at first. */
export interface GroupSize {
  readonly min: number;
  readonly max: number;
  readonly desired: number;
}

export interface HostGroupProps {
  readonly vpc: ec2.IVpc;
  /** Private subnets in two AZs: the group spreads its hosts over them. */
  readonly subnets: ec2.SubnetSelection;
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly userData: ec2.UserData;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly rootVolumeGb: number;
  readonly size: GroupSize;
  /** How long one new host may take to install and answer its health URL (the signal timeout). */
  readonly bootTimeout: Duration;
  /** A service-level (load balancer) health check replaces a host that stops answering. */
  readonly healthCheckGrace: Duration;
}

/**
 * Hosts of one kind in an Auto Scaling group over two AZs, launched from their own launch template
 * (IMDSv2 only, encrypted gp3 root, detailed monitoring, SSM instead of SSH). Each host signals
 * CloudFormation once its service answers: creation waits for `min` of them and a new release is
 * rolled out one host at a time, the old ones kept until the new one is healthy, and rolled back
 * when it is not. The group replaces a host the load balancer finds unhealthy (after the grace), so
 * no EC2 auto-recovery alarm is needed.
 */
export class HostGroup extends Construct {
  readonly group: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: HostGroupProps) {
    super(scope, id);
    const { min, max, desired } = props.size;
    if (!(min >= 1 && min <= desired && desired <= max && min < max)) {
      throw new Error(
        `${id}: group size min ${min}, desired ${desired}, max ${max} must satisfy 1 ≤ min ≤ desired ≤ max and min < max (a rolling update keeps min in service and starts one more beside them)`,
      );
    }
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: props.instanceType,
      machineImage: props.machineImage,
      userData: props.userData,
      role: this.role,
      securityGroup: props.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      // One-minute metrics: scaling and an operator see trouble within minutes.
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGb, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
    });
    this.group = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      launchTemplate: this.launchTemplate,
      minCapacity: min,
      maxCapacity: max,
      desiredCapacity: desired,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: props.healthCheckGrace,
      }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: props.bootTimeout }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: min,
      }),
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    // User data downloads Node.js and npm packages: boot only once the NAT route exists.
    this.group.node.addDependency(props.vpc.selectSubnets(props.subnets).internetConnectivityEstablished);
    this.signalWhenReady(props.userData);
  }

  /** Tells `topic` of every launch, termination and failure to launch or terminate in the group. */
  notifyOf(topic: sns.ITopic): void {
    const group = this.group.node.defaultChild as autoscaling.CfnAutoScalingGroup;
    group.notificationConfigurations = [
      {
        topicArn: topic.topicArn,
        notificationTypes: [
          autoscaling.ScalingEvent.INSTANCE_LAUNCH,
          autoscaling.ScalingEvent.INSTANCE_LAUNCH_ERROR,
          autoscaling.ScalingEvent.INSTANCE_TERMINATE,
          autoscaling.ScalingEvent.INSTANCE_TERMINATE_ERROR,
        ],
      },
    ];
  }

  /**
   * Makes CloudFormation wait for each host's user data to finish and its service to answer: a
   * release that does not start fails the deployment (and rolls back) instead of replacing working
   * hosts. Signals with the AWS CLI (Ubuntu has no cfn-bootstrap); the role may signal this stack only.
   */
  private signalWhenReady(userData: ec2.UserData): void {
    const stack = Stack.of(this);
    const logicalId = (this.group.node.defaultChild as CfnElement).logicalId;
    userData.addOnExitCommands(
      'IMDS_TOKEN="$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H \'X-aws-ec2-metadata-token-ttl-seconds: 300\')"',
      'INSTANCE_ID="$(curl -fsS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)"',
      `aws cloudformation signal-resource --region ${stack.region} --stack-name ${stack.stackName} --logical-resource-id ${logicalId} --unique-id "$INSTANCE_ID" --status "$([ "$exitCode" -eq 0 ] && echo SUCCESS || echo FAILURE)" || echo 'could not signal CloudFormation'`,
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [stack.stackId] }),
    );
  }
}
