import { describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../gateway/config.ts';
import { readLambdaConfig } from '../lambda/config.ts';
import { retryAfterMs } from './retry-after.ts';
import { urlListSchema } from './url-list.ts';

const secrets = {
  RESULT_SIGNING_SECRET: 'r'.repeat(32),
  UPLOAD_TOKEN_SECRET: 'u'.repeat(32),
  S3_BUCKET: 'pictor-uploads',
  GATEWAY_URL: 'http://gateway.internal:8080',
};

describe('INFERENCE_URL names one host or several', () => {
  it('reads a comma-separated list, trimmed and without duplicates', () => {
    expect(urlListSchema.parse(' http://a:8000, http://b:8000,,http://a:8000 ')).toEqual([
      'http://a:8000',
      'http://b:8000',
    ]);
  });

  it('refuses an entry that is not an http(s) URL, and an empty list', () => {
    expect(urlListSchema.safeParse('http://a:8000,ftp://b').success).toBe(false);
    expect(urlListSchema.safeParse('http://a:8000,not a url').success).toBe(false);
    expect(urlListSchema.safeParse(' , ').success).toBe(false);
  });

  it('the Lambda and the gateway both accept the list', () => {
    const env = { ...secrets, INFERENCE_URL: 'http://10.0.0.1:8000,http://10.0.0.2:8000' };
    expect(readLambdaConfig(env).inferenceUrl).toBe('http://10.0.0.1:8000,http://10.0.0.2:8000');
    expect(readGatewayConfig(env).inferenceUrl).toBe('http://10.0.0.1:8000');
    expect(() => readLambdaConfig({ ...secrets, INFERENCE_URL: 'http://a:8000,oops' })).toThrow(
      /INFERENCE_URL/,
    );
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-02T05:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 05:00:07 GMT', now)).toBe(7_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 04:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
