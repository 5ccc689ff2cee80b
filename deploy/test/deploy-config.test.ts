import { describe, expect, it } from 'vitest';
import { readDeployConfig } from '../lib/deploy-config.ts';

const from = (context: Record<string, unknown>) => readDeployConfig((key) => context[key]);

describe('readDeployConfig', () => {
  it('defaults to a g5.xlarge inference host, seven-day uploads and no EMR cluster', () => {
    expect(from({})).toMatchObject({
      stackName: 'Pictor',
      gpuInstanceType: 'g5.xlarge',
      gatewayInstanceType: 't3.small',
      uploadRetentionDays: 7,
      defaultModel: 'digits',
      topK: 3,
      withEmrCluster: false,
      destroyDataOnDelete: false,
    });
  });

  it('reads -c strings: numbers and true/false flags', () => {
    expect(from({ uploadRetentionDays: '30', topK: '5', withEmrCluster: 'true' })).toMatchObject({
      uploadRetentionDays: 30,
      topK: 5,
      withEmrCluster: true,
    });
    expect(from({ withEmrCluster: false }).withEmrCluster).toBe(false);
  });

  it('names every bad key', () => {
    expect(() =>
      from({ appOrigin: 'https://app.example.com/path', topK: '0', withEmrCluster: 'yes' }),
    ).toThrow(/appOrigin: must be an origin.*topK.*withEmrCluster/);
  });

  it('refuses an https origin without a certificate for the load balancer', () => {
    expect(() => from({ appOrigin: 'https://app.example.com' })).toThrow(/needs certificateArn/);
  });
});
