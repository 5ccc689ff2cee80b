import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadHmacKeys, parseHmacKeys, secretsManagerReader } from './secret-source.ts';

// Secrets Manager is AWS's control plane: mocked at the SDK, as the EMR runner's tests do.
const secrets = mockClient(SecretsManagerClient);
beforeEach(() => secrets.reset());

const CURRENT = 'c'.repeat(64);
const PREVIOUS = 'p'.repeat(64);

describe('parseHmacKeys', () => {
  it('reads a plain key as the only key and a JSON ring as current and previous', () => {
    expect(parseHmacKeys(CURRENT, 'K')).toEqual({ current: CURRENT });
    expect(parseHmacKeys(JSON.stringify({ current: CURRENT, previous: PREVIOUS }), 'K')).toEqual({
      current: CURRENT,
      previous: PREVIOUS,
    });
  });

  it('refuses short keys and a ring without a current key, naming the variable but not the value', () => {
    expect(() => parseHmacKeys('short', 'RESULT_SIGNING_SECRET')).toThrow(
      /RESULT_SIGNING_SECRET: the current key/,
    );
    expect(() => parseHmacKeys(JSON.stringify({ previous: PREVIOUS }), 'K')).toThrow(/needs a "current" key/);
    expect(() => parseHmacKeys('{not json', 'K')).toThrow(/does not parse/);
  });
});

describe('loadHmacKeys', () => {
  it('prefers the key in the environment (the local stack) and asks Secrets Manager nothing', async () => {
    const keys = await loadHmacKeys('UPLOAD_TOKEN_SECRET', { UPLOAD_TOKEN_SECRET: CURRENT });
    expect(keys).toEqual({ current: CURRENT });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('reads the secret named by <NAME>_ARN once per process, with a timeout', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pictor-result-abc';
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({
      SecretString: JSON.stringify({ current: CURRENT, previous: PREVIOUS }),
    });
    const env = { RESULT_SIGNING_SECRET_ARN: arn };
    const read = secretsManagerReader('eu-west-1');
    const first = await loadHmacKeys('RESULT_SIGNING_SECRET', env, read);
    const second = await loadHmacKeys('RESULT_SIGNING_SECRET', env, read);
    expect(first).toEqual({ current: CURRENT, previous: PREVIOUS });
    expect(second).toBe(first);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('fails start-up with the variable named when the secret cannot be read, and tries again next time', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pictor-upload-def';
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('AccessDeniedException')).resolves({
      SecretString: CURRENT,
    });
    const env = { UPLOAD_TOKEN_SECRET_ARN: arn };
    const read = secretsManagerReader('eu-west-1');
    await expect(loadHmacKeys('UPLOAD_TOKEN_SECRET', env, read)).rejects.toThrow(
      /could not read UPLOAD_TOKEN_SECRET_ARN.*AccessDeniedException/,
    );
    await expect(loadHmacKeys('UPLOAD_TOKEN_SECRET', env, read)).resolves.toEqual({ current: CURRENT });
  });

  it('says which variables to set when neither is', async () => {
    await expect(loadHmacKeys('RESULT_SIGNING_SECRET', {})).rejects.toThrow(
      /set RESULT_SIGNING_SECRET .* or RESULT_SIGNING_SECRET_ARN/,
    );
  });
});
