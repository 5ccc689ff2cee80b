import { describe, expect, it } from 'vitest';
import { parseAccuracyArgs, UsageError } from './cli-options.ts';

describe('accuracy command line', () => {
  it('defaults to the local stack S3', () => {
    const command = parseAccuracyArgs([], {});
    expect(command).toMatchObject({
      mode: 'local',
      input: {
        kind: 's3',
        bucket: 'pictor-local',
        endpoint: 'http://127.0.0.1:4569',
        endpointIsDefault: true,
        dataDir: '.data/s3',
      },
      reducers: 2,
      sortBuffer: '64M',
      modelsDir: 'models',
    });
    expect(Object.isFrozen(command)).toBe(true);
  });

  it('reads a folder and writes the report into it unless told where', () => {
    expect(parseAccuracyArgs(['--input', 'in'], {})).toMatchObject({
      input: { kind: 'directory', dir: 'in', output: 'in' },
    });
    expect(
      parseAccuracyArgs(['--input', 'in', '--output', 'out', '--mappers', '3', '--reducers', '5'], {}),
    ).toMatchObject({
      input: { kind: 'directory', dir: 'in', output: 'out' },
      mappers: 3,
      reducers: 5,
    });
  });

  it('takes the endpoint and bucket from the environment the stack uses', () => {
    expect(parseAccuracyArgs([], { S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'other' })).toMatchObject(
      {
        input: { kind: 's3', bucket: 'other', endpoint: 'http://127.0.0.1:9000', endpointIsDefault: false },
      },
    );
  });

  it('reads an EMR submission', () => {
    expect(
      parseAccuracyArgs(
        ['--emr', '--cluster-id', 'j-ABC', '--bucket', 'pictor-prod', '--region', 'eu-west-1'],
        {},
      ),
    ).toEqual({
      mode: 'emr',
      clusterId: 'j-ABC',
      clusterSpec: undefined,
      bucket: 'pictor-prod',
      region: 'eu-west-1',
      reducers: 4,
      modelsDir: 'models',
      runId: undefined,
    });
  });

  it('reads a submission to a cluster created for the run, from the stack’s EmrClusterSpec', () => {
    const spec = {
      releaseLabel: 'emr-7.5.0',
      instanceType: 'm5.xlarge',
      coreInstances: 2,
      serviceRole: 'Pictor-AccuracyServiceRole',
      instanceProfile: 'Pictor-AccuracyInstanceRole',
      subnetId: 'subnet-0123abcd',
      primarySecurityGroup: 'sg-01',
      coreSecurityGroup: 'sg-02',
      serviceAccessSecurityGroup: 'sg-03',
      logUri: 's3://pictor-prod/mr/logs/',
    };
    const command = parseAccuracyArgs(
      ['--emr', '--bucket', 'pictor-prod', '--cluster-spec', JSON.stringify(spec)],
      {},
    );
    expect(command).toMatchObject({
      mode: 'emr',
      clusterId: undefined,
      clusterSpec: { ...spec, idleTimeoutSeconds: 900 },
    });
  });

  it.each([
    [['--emr', '--bucket', 'b-1'], /--cluster-spec .* or --cluster-id/],
    [
      ['--emr', '--bucket', 'b-1', '--cluster-spec', '{"releaseLabel":"7"}'],
      /--cluster-spec is invalid: releaseLabel/,
    ],
    [['--emr', '--bucket', 'b-1', '--cluster-spec', '{"releaseLabel":"7"}', '--cluster-id', 'j-1'], /either/],
    [['--cluster-spec', '{}'], /--cluster-spec goes with --emr/],
    [['--emr', '--cluster-id', 'j-1'], /--bucket/],
    [['--emr', '--cluster-id', 'j-1', '--bucket', 'b-1', '--input', 'x'], /--input is for the local runner/],
    [['--output', 'x'], /--output goes with --input/],
    [['--mappers', '0'], /--mappers must be a whole number/],
    [['--sort-buffer', 'lots'], /--sort-buffer/],
    [['--run-id', '../x'], /--run-id/],
    [['--bucket', 'Not_A_Bucket'], /not a bucket name/],
    [['--frobnicate'], /frobnicate/],
  ])('refuses %j, saying why', (argv, message) => {
    expect(() => parseAccuracyArgs(argv, {})).toThrow(UsageError);
    expect(() => parseAccuracyArgs(argv, {})).toThrow(message);
  });
});
