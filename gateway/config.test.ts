import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLambdaConfig, readLambdaConfig } from '../lambda/config.ts';
import { loadGatewayConfig, readGatewayConfig } from './config.ts';

// Secrets Manager is AWS's control plane: mocked at the SDK.
const secrets = mockClient(SecretsManagerClient);
afterAll(() => secrets.restore());

const RESULT_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pictor-result-cfg';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pictor-token-cfg';
const OLD = 'o'.repeat(64);
const NEW = 'n'.repeat(64);

/** What production must name (no defaults): the bucket, the inference host, the gateway. */
const ADDRESSES = {
  S3_BUCKET: 'pictor-uploads',
  INFERENCE_URL: 'http://inference.internal:8000',
  GATEWAY_URL: 'http://gateway.internal:8080',
};

describe('configuration from Secrets Manager ARNs', () => {
  it('gives the gateway both keys of a ring mid-rotation, and the Lambda only the current one', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: RESULT_ARN }).resolves({
      SecretString: JSON.stringify({ current: NEW, previous: OLD }),
    });
    secrets.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: NEW });
    const env = {
      ...ADDRESSES,
      AWS_REGION: 'eu-west-1',
      RESULT_SIGNING_SECRET_ARN: RESULT_ARN,
      UPLOAD_TOKEN_SECRET_ARN: TOKEN_ARN,
    };

    const gateway = await loadGatewayConfig(env);
    expect(gateway.resultSigningSecret).toEqual({ current: NEW, previous: OLD });
    expect(gateway.uploadTokenSecret).toEqual({ current: NEW });

    const lambda = await loadLambdaConfig(env);
    expect(lambda.resultSigningSecret).toBe(NEW);
  });

  it('still validates everything else, naming the bad variable', async () => {
    await expect(
      loadGatewayConfig({
        RESULT_SIGNING_SECRET_ARN: RESULT_ARN,
        UPLOAD_TOKEN_SECRET_ARN: TOKEN_ARN,
        GATEWAY_PORT: 'x',
      }),
    ).rejects.toThrow(/GATEWAY_PORT/);
  });

  it('keeps plain keys in the environment working (the local stack)', async () => {
    const gateway = await loadGatewayConfig({
      ...ADDRESSES,
      RESULT_SIGNING_SECRET: OLD,
      UPLOAD_TOKEN_SECRET: NEW,
    });
    expect(gateway.resultSigningSecret).toBe(OLD);
    expect(gateway.uploadTokenSecret).toBe(NEW);
  });
});

describe('production addresses', () => {
  it('are required, not defaulted to the local stack: the bucket, the inference host and the gateway', () => {
    const keys = { RESULT_SIGNING_SECRET: OLD, UPLOAD_TOKEN_SECRET: NEW };
    expect(() => readGatewayConfig(keys)).toThrow(/S3_BUCKET/);
    expect(() => readLambdaConfig({ ...keys, GATEWAY_URL: ADDRESSES.GATEWAY_URL })).toThrow(/INFERENCE_URL/);
    expect(() => readLambdaConfig({ ...keys, INFERENCE_URL: ADDRESSES.INFERENCE_URL })).toThrow(
      /GATEWAY_URL/,
    );
  });
});
