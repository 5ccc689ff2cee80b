import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../../gateway/config.ts';
import { redisEnvScript } from '../lib/gateway-service.ts';

const scratch = mkdtempSync(join(tmpdir(), 'pictor-redis-env-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cache-token-AbCdEf';
const HOST = 'master.pictor-cache.abc123.euw1.cache.amazonaws.com';

/**
 * Runs the script the gateways run before each start, in bash, with the AWS CLI replaced by a
 * stand-in for Secrets Manager (the control plane) that answers `token` when asked for SECRET_ARN.
 */
function runScript(name: string, token: string) {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  const aws = join(dir, 'aws');
  writeFileSync(
    aws,
    [
      '#!/bin/bash',
      `[ "$*" = "secretsmanager get-secret-value --region eu-west-1 --secret-id ${SECRET_ARN} --query SecretString --output text" ] || { echo "unexpected: $*" >&2; exit 2; }`,
      `printf '%s\\n' '${token}'`,
    ].join('\n'),
  );
  chmodSync(aws, 0o755);
  const envFile = join(dir, 'redis.env');
  const script = join(dir, 'redis-env.sh');
  writeFileSync(
    script,
    redisEnvScript({ region: 'eu-west-1', secretArn: SECRET_ARN, host: HOST, port: '6380', envFile }).join(
      '\n',
    ),
  );
  const run = spawnSync('bash', [script], {
    env: { PATH: `${dir}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  return { run, envFile };
}

describe('the gateways’ REDIS_URL file', () => {
  it('holds a rediss:// URL with the token from Secrets Manager, readable by root only, that the gateway accepts', () => {
    // As Secrets Manager generates it: 64 letters and digits.
    const token = `${'aB3'.repeat(21)}x`;
    const { run, envFile } = runScript('ok', token);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const line = readFileSync(envFile, 'utf8');
    expect(line).toBe(`REDIS_URL=rediss://:${token}@${HOST}:6380\n`);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const url = line.trim().slice('REDIS_URL='.length);
    const config = readGatewayConfig({
      RESULT_SIGNING_SECRET: 'r'.repeat(32),
      UPLOAD_TOKEN_SECRET: 'u'.repeat(32),
      S3_BUCKET: 'pictor-uploads',
      REDIS_URL: url,
    });
    expect(config.redisUrl).toBe(url);
  });

  it('fails the start, writing nothing, when the token is not letters and digits', () => {
    const { run, envFile } = runScript('bad', 'has space/and@');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('the cache token must be letters and digits');
    expect(() => statSync(envFile)).toThrow();
  });
});
