import { describe, expect, it } from 'vitest';
import { readGatewayConfig } from './config.ts';

const secrets = {
  RESULT_SIGNING_SECRET: 'r'.repeat(32),
  UPLOAD_TOKEN_SECRET: 'u'.repeat(32),
  S3_BUCKET: 'pictor-uploads',
  GATEWAY_URL: 'http://gateway.internal:8080',
};

describe('REDIS_URL', () => {
  it('is optional: without it the gateway keeps results in its own memory', () => {
    expect(readGatewayConfig(secrets).redisUrl).toBeUndefined();
  });

  it('takes redis:// and rediss:// (TLS, as ElastiCache uses) URLs', () => {
    expect(readGatewayConfig({ ...secrets, REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe(
      'redis://127.0.0.1:6379',
    );
    expect(
      readGatewayConfig({ ...secrets, REDIS_URL: 'rediss://:token@cache.internal:6379/0' }).redisUrl,
    ).toBe('rediss://:token@cache.internal:6379/0');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => readGatewayConfig({ ...secrets, REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL/);
    expect(() => readGatewayConfig({ ...secrets, REDIS_URL: 'cache:6379' })).toThrow(/REDIS_URL/);
  });
});
