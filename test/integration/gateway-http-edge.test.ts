import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawHttpClient } from '../support/raw-http-client.ts';
import { startTestStack, type TestStack } from '../support/test-stack.ts';

/**
 * The gateway's HTTP edge (platform/http-exchange.ts, platform/route-methods.ts): a known path asked
 * with a method it does not take gets 405 with Allow, not 404 or a closed connection; a duplicate
 * Content-Length gets 400 and the connection is closed (where its body ends is unknown).
 */
describe('the gateway HTTP edge', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('answers a method an API route does not take with 405 and Allow', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/api/uploads', 'POST'],
      ['DELETE', '/api/labels', 'POST'],
      ['POST', '/api/health', 'GET'],
      ['PATCH', '/api/predictions/abc', 'GET'],
      ['DELETE', '/api/reports/latest', 'GET'],
    ] as const) {
      const response = await fetch(`${stack.gatewayUrl}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(await response.json()).toMatchObject({ code: 'method_not_allowed' });
    }
  });

  it('still answers an unknown API path with 404', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/nothing-here`, { method: 'PUT' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it("answers methods other than GET on the app's files with 405 and Allow: GET", async () => {
    const response = await fetch(`${stack.gatewayUrl}/index.html`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('refuses a duplicate Content-Length with 400 and closes the connection', async () => {
    const client = new RawHttpClient(stack.gateway.port);
    client.write(
      'POST /api/uploads HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{}',
    );
    await client.until((c) => c.closed);
    expect(client.received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(client.received).toContain('"code":"bad_framing"');
  });
});
