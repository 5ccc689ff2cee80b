import { describe, expect, it } from 'vitest';
import { requestIdSequence, resolveRequestId } from './request-id.ts';

describe('resolveRequestId', () => {
  const fresh = () => 'generated';

  it('keeps a caller-supplied token', () => {
    expect(resolveRequestId('abc-123', fresh)).toBe('abc-123');
    expect(resolveRequestId('Root=1-5759e988-bd862e3fe1be46a994272793', fresh)).toBe(
      'Root=1-5759e988-bd862e3fe1be46a994272793',
    );
    expect(resolveRequestId(['first', 'second'], fresh)).toBe('first');
  });

  it('generates one when the header is missing, empty, too long or not a token', () => {
    expect(resolveRequestId(undefined, fresh)).toBe('generated');
    expect(resolveRequestId('', fresh)).toBe('generated');
    expect(resolveRequestId('x'.repeat(129), fresh)).toBe('generated');
    expect(resolveRequestId('has space', fresh)).toBe('generated');
    expect(resolveRequestId('line\nbreak', fresh)).toBe('generated');
  });

  it('generates UUIDs by default', () => {
    expect(resolveRequestId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('requestIdSequence', () => {
  it('makes distinct UUID-shaped ids from one random prefix and a counter', () => {
    const next = requestIdSequence();
    const [a, b] = [next(), next()];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-0{11}1$/);
    expect(b).toBe(`${a.slice(0, 24)}000000000002`);
    expect(requestIdSequence()().slice(0, 24)).not.toBe(a.slice(0, 24));
  });
});
