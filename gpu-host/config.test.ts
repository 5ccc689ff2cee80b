import { describe, expect, it } from 'vitest';
import { readGpuHostConfig } from './config.ts';

describe('readGpuHostConfig', () => {
  it('has defaults that serve the local repository on loopback, batching on', () => {
    expect(readGpuHostConfig({})).toEqual({
      port: 8000,
      bind: '127.0.0.1',
      modelRepository: 'models',
      modelControlMode: 'none',
      repositoryPollSeconds: 15,
      executionProviders: ['cpu'],
      intraOpThreads: 1,
      modelInstances: 1,
      dynamicBatching: true,
      eagerBatching: true,
      nullModel: false,
      maxImageBytes: 20 * 1024 * 1024,
      maxInputPixels: 24_000_000,
      maxRequestBytes: 64 * 1024 * 1024,
      maxQueueSize: 1024,
      shutdownTimeoutMs: 30_000,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = readGpuHostConfig({
      GPU_HOST_PORT: '0',
      GPU_HOST_BIND: '0.0.0.0',
      MODEL_REPOSITORY: '/srv/models',
      MODEL_CONTROL_MODE: 'poll',
      REPOSITORY_POLL_SECONDS: '2.5',
      MODEL_REPOSITORY_S3_URL: 's3://pictor-data/models/',
      AWS_REGION: 'eu-west-1',
      EXECUTION_PROVIDERS: 'CUDA, cpu',
      INTRA_OP_THREADS: '2',
      MODEL_INSTANCES: '3',
      DYNAMIC_BATCHING: 'off',
      EAGER_BATCHING: 'false',
      GPU_HOST_NULL_MODEL: 'on',
      MAX_IMAGE_BYTES: '1000',
      MAX_INPUT_PIXELS: '2000',
      MAX_REQUEST_BYTES: '3000',
      MAX_QUEUE_SIZE: '7',
      SHUTDOWN_TIMEOUT_MS: '500',
      LOG_LEVEL: 'warn',
    });
    // toEqual, not toMatchObject: a variable added to the config but not to this test fails it.
    expect(config).toEqual({
      port: 0,
      bind: '0.0.0.0',
      modelRepository: '/srv/models',
      modelControlMode: 'poll',
      repositoryPollSeconds: 2.5,
      modelRepositoryS3: {
        location: { bucket: 'pictor-data', prefix: 'models/' },
        connection: { region: 'eu-west-1', endpoint: undefined, credentials: undefined },
      },
      executionProviders: ['cuda', 'cpu'],
      intraOpThreads: 2,
      modelInstances: 3,
      dynamicBatching: false,
      eagerBatching: false,
      nullModel: true,
      maxImageBytes: 1000,
      maxInputPixels: 2000,
      maxRequestBytes: 3000,
      maxQueueSize: 7,
      shutdownTimeoutMs: 500,
      logLevel: 'warn',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('refuses, naming the variable, what it cannot use', () => {
    expect(() => readGpuHostConfig({ EXECUTION_PROVIDERS: 'tensorrt' })).toThrow(/EXECUTION_PROVIDERS/);
    expect(() => readGpuHostConfig({ DYNAMIC_BATCHING: 'maybe' })).toThrow(/DYNAMIC_BATCHING/);
    expect(() => readGpuHostConfig({ GPU_HOST_PORT: '70000' })).toThrow(/GPU_HOST_PORT/);
    expect(() => readGpuHostConfig({ MODEL_CONTROL_MODE: 'always' })).toThrow(/MODEL_CONTROL_MODE/);
    expect(() => readGpuHostConfig({ REPOSITORY_POLL_SECONDS: '0' })).toThrow(/REPOSITORY_POLL_SECONDS/);
    expect(() => readGpuHostConfig({ MODEL_REPOSITORY_S3_URL: 's3://pictor-data/models' })).toThrow(
      /MODEL_REPOSITORY_S3_URL: .*must end with/,
    );
  });
});
