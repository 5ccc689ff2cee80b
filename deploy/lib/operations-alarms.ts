import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LATENCY_METRIC, LATENCY_NAMESPACE } from './latency-metric.ts';

export interface OperationsAlarmsProps {
  /** An existing topic for the alarms; absent, one is created. */
  readonly topicArn?: string | undefined;
  /** Subscribed to the topic the stack creates. */
  readonly email?: string | undefined;
  readonly deadLetterQueue: sqs.IQueue;
  readonly classify: lambda.IFunction;
  /** The scheduled re-drive: an error means a run failed to start or to sweep. */
  readonly redrive: lambda.IFunction;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Each target group behind a load balancer, named for the alarm (`Unhealthy<id>`). */
  readonly targetGroups: ReadonlyArray<{
    readonly id: string;
    readonly what: string;
    readonly targetGroup: elbv2.IApplicationTargetGroup;
  }>;
  /** Mean inference latency (ms, the gpu-host's own measure) above which the alarm fires. */
  readonly inferenceLatencyMs: number;
}

/**
 * What an operator is paged for, all to one SNS topic: an event parked in the dead-letter queue (an
 * upload with no verdict yet), Lambda errors and throttles (throttles mean reserved concurrency is
 * too low for the traffic), re-drive errors, 5xx at the load balancer, an unhealthy host in any
 * target group, slow inference.
 */
export class OperationsAlarms extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    if (props.topicArn !== undefined) {
      this.topic = sns.Topic.fromTopicArn(this, 'Topic', props.topicArn);
    } else {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'Pictor alarms', enforceSSL: true });
      if (props.email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(props.email));
      this.topic = topic;
    }
    const fiveMinutes = Duration.minutes(5);
    const lb = props.loadBalancer.metrics;

    this.add('DeadLetters', 'an S3 event reached the dead-letter queue: an upload has no verdict', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      threshold: 1,
    });
    this.add('LambdaErrors', 'the classify Lambda failed (it will retry, then park the event)', {
      metric: props.classify.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
    });
    this.add('LambdaThrottles', 'the classify Lambda was throttled: reserved concurrency reached', {
      metric: props.classify.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
    });
    this.add('LoadBalancer5xx', 'the load balancer answered 5xx (its own or the gateway’s)', {
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(elb, 0) + FILL(target, 0)',
        usingMetrics: {
          elb: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: fiveMinutes, statistic: 'Sum' }),
          target: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: fiveMinutes,
            statistic: 'Sum',
          }),
        },
        period: fiveMinutes,
      }),
      threshold: 10,
    });
    this.add('RedriveErrors', 'the re-drive Lambda failed (the next minute’s run tries again)', {
      metric: props.redrive.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
    });
    // The Auto Scaling group replaces a host its load balancer finds unhealthy; the alarm says it
    // happened, and keeps firing when replacements fail too (a bad release, no capacity).
    for (const { id, what, targetGroup } of props.targetGroups) {
      this.add(`Unhealthy${id}`, `${what} fails its health check behind the load balancer`, {
        metric: targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 3,
      });
    }
    this.add('InferenceLatency', `mean inference latency above ${props.inferenceLatencyMs} ms`, {
      metric: new cloudwatch.Metric({
        namespace: LATENCY_NAMESPACE,
        metricName: LATENCY_METRIC,
        period: fiveMinutes,
        statistic: 'Average',
      }),
      threshold: props.inferenceLatencyMs,
      evaluationPeriods: 2,
    });
  }

  private add(
    id: string,
    description: string,
    options: { metric: cloudwatch.IMetric; threshold: number; evaluationPeriods?: number },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `Pictor: ${description}`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened (no errors, no traffic), not trouble.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
