import { describe, expect, it } from 'vitest';
import { HostBalancer } from './host-balancer.ts';

const policy = { baseCooldownMs: 500, maxCooldownMs: 10_000, latencyDecayMs: 10_000 };

/** A balancer over hosts a and b whose random choices are fixed, so both are always compared. */
function twoHosts(): HostBalancer {
  return new HostBalancer(['a', 'b'], policy, () => 0);
}

describe('spreading requests over inference hosts', () => {
  it('sends the next request to the host with fewer requests in flight', () => {
    const balancer = twoHosts();
    balancer.begin('a', 0);
    balancer.begin('a', 0);
    balancer.begin('b', 0);
    expect(balancer.choose(1).host).toBe('b');
  });

  it('prefers the faster host when both are idle', () => {
    const balancer = twoHosts();
    balancer.succeeded(balancer.begin('a', 0), 300);
    balancer.succeeded(balancer.begin('b', 0), 5);
    expect(balancer.choose(310).host).toBe('b');
  });

  it('does not pile onto a host whose request has been in flight a long time', () => {
    const balancer = twoHosts();
    balancer.succeeded(balancer.begin('a', 0), 5);
    balancer.succeeded(balancer.begin('b', 0), 5);
    balancer.begin('a', 10); // hung
    for (let i = 0; i < 5; i++) balancer.begin('b', 2_000);
    // b has five requests in flight, but a's one has waited two seconds.
    expect(balancer.choose(2_010).host).toBe('b');
  });

  it('forgives a slow host after it has been idle a while', () => {
    const balancer = twoHosts();
    balancer.succeeded(balancer.begin('a', 0), 1_000);
    balancer.succeeded(balancer.begin('b', 0), 5);
    balancer.begin('b', 1_000);
    expect(balancer.choose(1_001).host).toBe('b');
    expect(balancer.choose(60_000).host).toBe('a');
  });

  it('skips a host that failed until its cooldown ends, then probes it with one request', () => {
    const balancer = twoHosts();
    balancer.failed(balancer.begin('a', 0), 0);
    for (let now = 1; now < 500; now += 100) expect(balancer.choose(now).host).toBe('b');
    const probe = balancer.choose(500);
    expect(probe).toEqual({ host: 'a', readyInMs: 0 });
    balancer.begin('a', 500);
    // While the probe is in flight, a gets nothing more.
    expect(balancer.choose(501).host).toBe('b');
  });

  it('doubles the cooldown of a host that keeps failing, up to the cap', () => {
    const balancer = new HostBalancer(['a'], policy);
    let now = 0;
    const cooldowns: number[] = [];
    for (let i = 0; i < 7; i++) {
      balancer.failed(balancer.begin('a', now), now);
      cooldowns.push(balancer.choose(now).readyInMs);
      now += cooldowns.at(-1) ?? 0;
    }
    expect(cooldowns).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it("honours the host's Retry-After", () => {
    const balancer = twoHosts();
    balancer.failed(balancer.begin('a', 0), 0, 3_000);
    expect(balancer.choose(2_999).host).toBe('b');
    expect(balancer.snapshot(1_000)).toContainEqual({
      host: 'a',
      outstanding: 0,
      coolingForMs: 2_000,
      failures: 1,
    });
  });

  it('a success closes the breaker', () => {
    const balancer = twoHosts();
    balancer.failed(balancer.begin('a', 0), 0);
    balancer.succeeded(balancer.begin('a', 600), 605);
    expect(balancer.snapshot(606)).toContainEqual({
      host: 'a',
      outstanding: 0,
      coolingForMs: 0,
      failures: 0,
    });
  });

  it('when every host is cooling down, names the one ready soonest and how long to wait', () => {
    const balancer = twoHosts();
    balancer.failed(balancer.begin('a', 0), 0, 4_000);
    balancer.failed(balancer.begin('b', 0), 0, 1_500);
    expect(balancer.choose(500)).toEqual({ host: 'b', readyInMs: 1_000 });
  });

  it('a request the caller gave up on says nothing about the host', () => {
    const balancer = twoHosts();
    balancer.released(balancer.begin('a', 0));
    expect(balancer.snapshot(1)).toContainEqual({ host: 'a', outstanding: 0, coolingForMs: 0, failures: 0 });
  });

  it('uses every host over many choices', () => {
    const balancer = new HostBalancer(['a', 'b', 'c']);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(balancer.choose(0).host);
    expect(seen).toEqual(new Set(['a', 'b', 'c']));
  });
});
