import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sns from 'aws-cdk-lib/aws-sns';

/**
 * EC2 auto-recovery: when AWS's system status check fails (host hardware, power, network), the
 * instance is moved to healthy hardware with the same id, private IP and EBS volumes, and the
 * operators hear of it. A failed *instance* check (our OS) is left to the service's systemd restart
 * and to the target-health alarm. When the hosts become Auto Scaling groups (the scale-out issue),
 * the group's health checks replace this alarm.
 */
export function recoverOnSystemFailure(
  instance: ec2.Instance,
  name: string,
  topic: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(instance, 'SystemRecoveryAlarm', {
    alarmDescription: `Pictor ${name}: EC2 system status check failed; recovering the instance`,
    metric: new cloudwatch.Metric({
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed_System',
      dimensionsMap: { InstanceId: instance.instanceId },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 2,
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
  });
  alarm.addAlarmAction(
    new actions.Ec2Action(actions.Ec2InstanceAction.RECOVER),
    new actions.SnsAction(topic),
  );
  return alarm;
}
