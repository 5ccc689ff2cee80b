import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { StackFixture } from './stack-fixture.ts';

const fixture = new StackFixture();
afterAll(() => fixture.cleanUp());

const withNag = {
  app: (app: Parameters<typeof Validations.of>[0]) =>
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app)),
};

// Synthesis throws («ValidationFailed») when a plugin reports an error nobody acknowledged, so
// "synthesises" here means "cdk-nag found nothing without a reason in deploy/lib/nag-acknowledgements.ts".
// Each synthesis with cdk-nag takes 10–40 s on a loaded two-core machine.
describe('cdk-nag (AwsSolutions)', { timeout: 120_000 }, () => {
  it('passes the default deployment with reasoned acknowledgements only', () => {
    expect(() => fixture.synth({}, withNag)).not.toThrow();
  });

  it('passes a CPU host behind HTTPS, with an existing alarm topic', () => {
    expect(() =>
      fixture.synth(
        {
          gpuInstanceType: 'c7i.large',
          domainName: 'pictor.example.com',
          certificateArn:
            'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
          alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
        },
        withNag,
      ),
    ).not.toThrow();
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    expect(() =>
      fixture.synth(
        {},
        {
          ...withNag,
          // An extra group open to the world, which no acknowledgement covers.
          extend: (stack) => {
            const open = new ec2.SecurityGroup(stack, 'OpenToTheWorld', { vpc: stack.network.vpc });
            open.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22), 'ssh from anywhere');
          },
        },
      ),
    ).toThrow(/AwsSolutions-EC23/);
  });
});
