import { describe, expect, it } from 'vitest';
import { ClientRateLimit } from './client-rate-limit.ts';

function limitAt(policy: { burst: number; perMinute: number; maxClients: number }) {
  let now = 0;
  const limit = new ClientRateLimit(policy, () => now);
  return { limit, advance: (ms: number) => (now += ms) };
}

describe('the per-client rate limit', () => {
  it('lets a burst through, then refuses with the seconds until the next token', () => {
    const { limit } = limitAt({ burst: 3, perMinute: 6, maxClients: 10 });
    expect([1, 2, 3].map(() => limit.take('a').allowed)).toEqual([true, true, true]);
    expect(limit.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('gives tokens back at the configured rate, never more than the burst', () => {
    const { limit, advance } = limitAt({ burst: 2, perMinute: 60, maxClients: 10 });
    limit.take('a');
    limit.take('a');
    advance(999);
    expect(limit.take('a').allowed).toBe(false);
    advance(1);
    expect(limit.take('a').allowed).toBe(true);
    advance(3_600_000);
    expect([1, 2, 3].map(() => limit.take('a').allowed)).toEqual([true, true, false]);
  });

  it('keeps clients apart', () => {
    const { limit } = limitAt({ burst: 1, perMinute: 1, maxClients: 10 });
    expect(limit.take('a').allowed).toBe(true);
    expect(limit.take('a').allowed).toBe(false);
    expect(limit.take('b').allowed).toBe(true);
  });

  it('remembers at most maxClients, forgetting the least recently seen', () => {
    const { limit } = limitAt({ burst: 1, perMinute: 1, maxClients: 100 });
    for (let i = 0; i < 10_000; i++) limit.take(`client-${i}`);
    expect(limit.size).toBe(100);
    // The most recent are still held to their limit.
    expect(limit.take('client-9999').allowed).toBe(false);
  });

  it('refuses a policy that would never allow a request', () => {
    expect(() => new ClientRateLimit({ burst: 0, perMinute: 1, maxClients: 1 })).toThrow(RangeError);
    expect(() => new ClientRateLimit({ burst: 1, perMinute: 0, maxClients: 1 })).toThrow(RangeError);
  });
});
