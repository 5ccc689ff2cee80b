import { describe, expect, it } from 'vitest';
import { readDeployConfig } from '../lib/deploy-config.ts';

const from = (context: Record<string, unknown>) => readDeployConfig((key) => context[key]);

describe('readDeployConfig', () => {
  it('defaults to a g5.xlarge inference host, seven-day uploads and documented abuse limits', () => {
    expect(from({})).toMatchObject({
      stackName: 'Pictor',
      gpuInstanceType: 'g5.xlarge',
      gatewayInstanceType: 't3.small',
      uploadRetentionDays: 7,
      defaultModel: 'digits',
      topK: 3,
      destroyDataOnDelete: false,
      uploadRateLimit: 300,
      requestRateLimit: 3000,
      lambdaConcurrency: 20,
      inferenceLatencyAlarmMs: 1000,
    });
  });

  it('reads -c strings: numbers and true/false flags', () => {
    expect(from({ uploadRetentionDays: '30', topK: '5', destroyDataOnDelete: 'true' })).toMatchObject({
      uploadRetentionDays: 30,
      topK: 5,
      destroyDataOnDelete: true,
    });
    expect(from({ destroyDataOnDelete: false }).destroyDataOnDelete).toBe(false);
  });

  it('names every bad key', () => {
    expect(() =>
      from({ appOrigin: 'https://app.example.com/path', topK: '0', destroyDataOnDelete: 'yes' }),
    ).toThrow(/appOrigin: must be an origin.*topK.*destroyDataOnDelete/);
  });

  it('refuses an https origin without a certificate for the load balancer', () => {
    expect(() => from({ appOrigin: 'https://app.example.com' })).toThrow(/needs certificateArn/);
  });
});

describe('limits and alarms', () => {
  it('reads the WAF and Lambda limits from -c strings', () => {
    expect(from({ uploadRateLimit: '100', requestRateLimit: '1000', lambdaConcurrency: '5' })).toMatchObject({
      uploadRateLimit: 100,
      requestRateLimit: 1000,
      lambdaConcurrency: 5,
    });
  });

  it('refuses an alarm e-mail together with an existing topic', () => {
    expect(() =>
      from({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', alarmEmail: 'ops@example.com' }),
    ).toThrow(/alarmEmail/);
  });

  it('takes pinned images as AMI ids only', () => {
    expect(from({ gatewayImageId: 'ami-0123456789abcdef0' }).gatewayImageId).toBe('ami-0123456789abcdef0');
    expect(() => from({ inferenceImageId: 'ubuntu' })).toThrow(/inferenceImageId: must be an AMI id/);
  });
});

describe('group sizes and the cache', () => {
  it('defaults to two gateways (up to four), one inference host (up to three) and a micro cache node', () => {
    expect(from({})).toMatchObject({
      gatewayMinCount: 2,
      gatewayDesiredCount: 2,
      gatewayMaxCount: 4,
      inferenceMinCount: 1,
      inferenceDesiredCount: 1,
      inferenceMaxCount: 3,
      cacheNodeType: 'cache.t4g.micro',
    });
  });

  it('reads the counts from -c strings', () => {
    expect(
      from({
        inferenceMinCount: '2',
        inferenceDesiredCount: '3',
        inferenceMaxCount: '6',
        cacheNodeType: 'cache.r7g.large',
      }),
    ).toMatchObject({
      inferenceMinCount: 2,
      inferenceDesiredCount: 3,
      inferenceMaxCount: 6,
      cacheNodeType: 'cache.r7g.large',
    });
  });

  it('refuses fewer than two gateways, and counts out of order', () => {
    expect(() => from({ gatewayMinCount: '1' })).toThrow(/gatewayMinCount/);
    expect(() => from({ inferenceDesiredCount: '5' })).toThrow(
      /inferenceMinCount ≤ inferenceDesiredCount ≤ inferenceMaxCount/,
    );
    expect(() =>
      from({ inferenceMinCount: '3', inferenceDesiredCount: '3', inferenceMaxCount: '3' }),
    ).toThrow(/inferenceMinCount < inferenceMaxCount/);
    expect(() => from({ cacheNodeType: 't4g.micro' })).toThrow(
      /cacheNodeType: must be an ElastiCache node type/,
    );
  });
});
