import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/gateway.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

describe('gateway start-up', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('refuses to share a port another gateway already holds', async () => {
    await expect(startGateway({ ...stack.gatewayConfig, port: stack.gateway.port })).rejects.toThrow(
      `gateway could not listen on 127.0.0.1:${stack.gateway.port}; is the port taken?`,
    );
    expect((await fetch(`${stack.gatewayUrl}/api/health`)).status).toBe(200);
  });

  it('refuses a configuration without secrets, naming the variables', async () => {
    const { readGatewayConfig } = await import('../../gateway/config.ts');
    expect(() => readGatewayConfig({})).toThrow(/RESULT_SIGNING_SECRET: .*UPLOAD_TOKEN_SECRET: /);
  });
});
