import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AddJobFlowStepsCommand, EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles, CLUSTER_PROGRAMS } from '../bundles.ts';
import { submitEmrAccuracyJob } from './emr-runner.ts';

// The AWS control plane is the one part that cannot run here: EMR and S3 are mocked at the SDK.
const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);

let dir: string;
let bundles: Bundles;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-emr-test-'));
  bundles = await buildBundles(dir, [...CLUSTER_PROGRAMS, 'finalize-report']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
  emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-JOIN', 's-TOTALS', 's-REPORT'] });
  emrMock.on(RunJobFlowCommand).resolves({ JobFlowId: 'j-NEWCLUSTER01' });
  s3Mock.on(PutObjectCommand).resolves({});
  s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 1, Contents: [{ Key: 'x' }] });
});

const job = () => ({
  emr: new EMRClient({ region: 'eu-west-1' }),
  s3: new S3Client({ region: 'eu-west-1' }),
  clusterId: 'j-2AXXXXXXGAPLF',
  bucket: 'pictor-prod',
  region: 'eu-west-1',
  runId: '20260301T101500Z-abc123',
  reducers: 8,
  bundles,
  manifests: { digits: { '1': ['0', '1'] } },
});

const BASE = 's3://pictor-prod/mr/runs/20260301T101500Z-abc123';

describe('the EMR runner', () => {
  it('adds the join, totals and report steps with exactly these arguments', async () => {
    const run = await submitEmrAccuracyJob(job());
    expect(run.stepIds).toEqual(['s-JOIN', 's-TOTALS', 's-REPORT']);
    const calls = emrMock.commandCalls(AddJobFlowStepsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      JobFlowId: 'j-2AXXXXXXGAPLF',
      Steps: [
        {
          Name: 'pictor-accuracy join 20260301T101500Z-abc123',
          ActionOnFailure: 'CANCEL_AND_WAIT',
          HadoopJarStep: {
            Jar: 'command-runner.jar',
            Args: [
              'hadoop-streaming',
              '-D',
              'mapreduce.job.name=pictor-accuracy-join-20260301T101500Z-abc123',
              '-D',
              'mapreduce.input.fileinputformat.split.maxsize=268435456',
              '-D',
              'stream.map.input.ignoreKey=true',
              '-D',
              'mapreduce.output.fileoutputformat.compress=false',
              '-files',
              `${BASE}/bundles/join-mapper.js,${BASE}/bundles/join-reducer.js,${BASE}/class-lists.json`,
              '-inputformat',
              'org.apache.hadoop.mapred.lib.CombineTextInputFormat',
              '-input',
              's3://pictor-prod/predictions/dt=*/*.json',
              '-input',
              's3://pictor-prod/labels/dt=*/*.jsonl',
              '-output',
              `${BASE}/join`,
              '-mapper',
              'node join-mapper.js',
              '-reducer',
              'node join-reducer.js class-lists.json',
              '-numReduceTasks',
              '8',
            ],
          },
        },
        {
          Name: 'pictor-accuracy totals 20260301T101500Z-abc123',
          ActionOnFailure: 'CANCEL_AND_WAIT',
          HadoopJarStep: {
            Jar: 'command-runner.jar',
            Args: [
              'hadoop-streaming',
              '-D',
              'mapreduce.job.name=pictor-accuracy-totals-20260301T101500Z-abc123',
              '-D',
              'mapreduce.output.fileoutputformat.compress=false',
              '-files',
              `${BASE}/bundles/totals-mapper.js,${BASE}/bundles/merge-counts.js`,
              '-input',
              `${BASE}/join`,
              '-output',
              `${BASE}/totals`,
              '-mapper',
              'node totals-mapper.js',
              '-combiner',
              'node merge-counts.js combine',
              '-reducer',
              'node merge-counts.js reduce',
              '-numReduceTasks',
              '1',
            ],
          },
        },
        {
          Name: 'pictor-accuracy report 20260301T101500Z-abc123',
          ActionOnFailure: 'CANCEL_AND_WAIT',
          HadoopJarStep: {
            Jar: 'command-runner.jar',
            Args: [
              'bash',
              '-c',
              `aws s3 cp ${BASE}/bundles/finalize-report.js /tmp/pictor-finalize-20260301T101500Z-abc123.js && node /tmp/pictor-finalize-20260301T101500Z-abc123.js --totals ${BASE}/totals/ --class-lists ${BASE}/class-lists.json --bucket pictor-prod --run-id 20260301T101500Z-abc123 --region eu-west-1`,
            ],
          },
        },
      ],
    });
  });

  it('uploads the programs, the class lists and the bootstrap script before adding the steps', async () => {
    await submitEmrAccuracyJob(job());
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => `${p.Bucket}/${p.Key}`)).toEqual([
      'pictor-prod/mr/runs/20260301T101500Z-abc123/bundles/join-mapper.js',
      'pictor-prod/mr/runs/20260301T101500Z-abc123/bundles/join-reducer.js',
      'pictor-prod/mr/runs/20260301T101500Z-abc123/bundles/totals-mapper.js',
      'pictor-prod/mr/runs/20260301T101500Z-abc123/bundles/merge-counts.js',
      'pictor-prod/mr/runs/20260301T101500Z-abc123/bundles/finalize-report.js',
      'pictor-prod/mr/runs/20260301T101500Z-abc123/class-lists.json',
      'pictor-prod/mr/bootstrap-node.sh',
    ]);
    expect(JSON.parse(String(puts[5]?.Body))).toEqual({ digits: { '1': ['0', '1'] } });
    expect(String(puts[6]?.Body)).toMatch(/^#!\/bin\/bash/);
    expect(Buffer.from(puts[0]?.Body as Uint8Array).toString()).toContain('reporter:counter:');
    const lastPut = s3Mock.commandCalls(PutObjectCommand).at(-1);
    const add = emrMock.commandCalls(AddJobFlowStepsCommand)[0];
    expect(lastPut && add && lastPut.calledBefore(add)).toBe(true);
  });

  it('leaves out an input prefix that holds nothing (Hadoop fails on an empty glob)', async () => {
    s3Mock.on(ListObjectsV2Command, { Prefix: 'labels/' }).resolves({ KeyCount: 0 });
    await submitEmrAccuracyJob(job());
    const args =
      emrMock.commandCalls(AddJobFlowStepsCommand)[0]?.args[0].input.Steps?.[0]?.HadoopJarStep?.Args ?? [];
    expect(args.filter((a) => a.startsWith('s3://pictor-prod/labels'))).toEqual([]);
    expect(args).toContain('s3://pictor-prod/predictions/dt=*/*.json');
  });

  it('refuses a bucket with no records and a malformed cluster id, adding nothing', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    await expect(submitEmrAccuracyJob(job())).rejects.toThrow(/nothing to measure/);
    await expect(submitEmrAccuracyJob({ ...job(), clusterId: 'cluster-1' })).rejects.toThrow(/j-XXXXXXXX/);
    expect(emrMock.commandCalls(AddJobFlowStepsCommand)).toHaveLength(0);
  });

  it('creates a transient cluster with RunJobFlow when no cluster id is given: the same steps, then it terminates', async () => {
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
      idleTimeoutSeconds: 900,
    };
    const run = await submitEmrAccuracyJob({ ...job(), clusterId: undefined, clusterSpec: spec });
    expect(run.clusterId).toBe('j-NEWCLUSTER01');
    expect(emrMock.commandCalls(AddJobFlowStepsCommand)).toHaveLength(0);
    const calls = emrMock.commandCalls(RunJobFlowCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    const { Steps, ...cluster } = input ?? {};
    expect(cluster).toEqual({
      Name: 'pictor-accuracy 20260301T101500Z-abc123',
      ReleaseLabel: 'emr-7.5.0',
      Applications: [{ Name: 'Hadoop' }],
      ServiceRole: 'Pictor-AccuracyServiceRole',
      JobFlowRole: 'Pictor-AccuracyInstanceRole',
      LogUri: 's3://pictor-prod/mr/logs/',
      Instances: {
        Ec2SubnetId: 'subnet-0123abcd',
        EmrManagedMasterSecurityGroup: 'sg-01',
        EmrManagedSlaveSecurityGroup: 'sg-02',
        ServiceAccessSecurityGroup: 'sg-03',
        InstanceGroups: [
          { Name: 'primary', InstanceRole: 'MASTER', InstanceType: 'm5.xlarge', InstanceCount: 1 },
          { Name: 'core', InstanceRole: 'CORE', InstanceType: 'm5.xlarge', InstanceCount: 2 },
        ],
        KeepJobFlowAliveWhenNoSteps: false,
        TerminationProtected: false,
      },
      BootstrapActions: [
        {
          Name: 'install-node',
          ScriptBootstrapAction: { Path: 's3://pictor-prod/mr/bootstrap-node.sh', Args: [] },
        },
      ],
      AutoTerminationPolicy: { IdleTimeout: 900 },
      VisibleToAllUsers: true,
      Tags: [
        { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' },
        { Key: 'pictor:run-id', Value: '20260301T101500Z-abc123' },
      ],
    });
    // The steps are exactly those a running cluster would get.
    await submitEmrAccuracyJob(job());
    expect(Steps).toEqual(emrMock.commandCalls(AddJobFlowStepsCommand)[0]?.args[0].input.Steps);
    // And the bootstrap script is in the bucket before the cluster asks for it.
    const bootstrapPut = s3Mock
      .commandCalls(PutObjectCommand)
      .find((c) => c.args[0].input.Key === 'mr/bootstrap-node.sh');
    expect(bootstrapPut?.calledBefore(calls[0] as NonNullable<(typeof calls)[0]>)).toBe(true);
  });

  it('wants exactly one of a cluster id and a cluster spec', async () => {
    await expect(submitEmrAccuracyJob({ ...job(), clusterId: undefined })).rejects.toThrow(
      /either a cluster id/,
    );
    expect(emrMock.commandCalls(RunJobFlowCommand)).toHaveLength(0);
  });
});
