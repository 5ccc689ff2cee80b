import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface WebAclProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Requests per 5 minutes one IP may send to `POST /api/uploads` (each one costs a Lambda run). */
  readonly uploadRateLimit: number;
  /** Requests per 5 minutes one IP may send to anything. */
  readonly requestRateLimit: number;
}

/** The AWS managed rule groups applied, in order (names as AWS spells them). */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

/**
 * A WAF web ACL on the load balancer. `POST /api/uploads` is anonymous and every upload costs a
 * Lambda run and an inference, so one IP gets `uploadRateLimit` per 5 minutes there (WAF's
 * window) and `requestRateLimit` overall; AWS's managed groups drop known-bad sources and inputs.
 * The limits are context parameters (deploy/README.md). Blocked requests get WAF's 403.
 */
export class WebAcl extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `pictor-${name}`,
    });
    const managed: wafv2.CfnWebACL.RuleProperty[] = MANAGED_RULE_GROUPS.map((name, index) => ({
      name,
      priority: 10 + index,
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
        },
      },
      overrideAction: { none: {} },
      visibilityConfig: visibility(name),
    }));
    this.acl = new wafv2.CfnWebACL(this, 'Acl', {
      scope: 'REGIONAL',
      description: 'Pictor: rate limits and AWS managed rules in front of the gateway',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      rules: [
        {
          name: 'uploads-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.uploadRateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'STARTS_WITH',
                  searchString: '/api/uploads',
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: visibility('uploads-per-ip'),
        },
        {
          name: 'requests-per-ip',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.requestRateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility('requests-per-ip'),
        },
        ...managed,
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.acl.attrArn,
    });
  }
}
