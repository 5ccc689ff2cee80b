/** How the balancer treats failing and slow hosts. */
export interface BalancerPolicy {
  /** Cooldown after a host's first failure; doubles with each further failure in a row. */
  readonly baseCooldownMs: number;
  /** The longest cooldown, also the cap on a host's own Retry-After. */
  readonly maxCooldownMs: number;
  /** How fast a latency estimate forgets: after this long without answers it has fallen to ~37%. */
  readonly latencyDecayMs: number;
}

export const DEFAULT_BALANCER_POLICY: BalancerPolicy = Object.freeze({
  baseCooldownMs: 500,
  maxCooldownMs: 10_000,
  latencyDecayMs: 10_000,
});

/** One request in flight to a host: hand it back with succeeded, failed or released. */
export interface HostTicket {
  readonly host: string;
  readonly startedAt: number;
}

/** Where to send the next request; `readyInMs` > 0 when every host is cooling down (this one soonest). */
export interface HostChoice {
  readonly host: string;
  readonly readyInMs: number;
}

interface HostState {
  readonly outstanding: Set<HostTicket>;
  /** Failures in a row; 0 means healthy. */
  failures: number;
  /** Until then the host is skipped (cooldown); after it, one probe at a time until a success. */
  readyAt: number;
  /** Peak-EWMA latency of successful answers, as of `sampledAt`. */
  latencyMs: number;
  sampledAt: number;
}

/**
 * Spreads requests over several hosts (pure: the caller passes the clock). Power of two choices on a
 * cost of (outstanding + 1) × latency, where latency is a peak-sensitive moving average that also counts
 * how long the oldest request in flight has waited: a slow or hung host gets few new requests, an idle
 * one is forgiven over time. A failure (refused, reset, timeout, 5xx, 429) opens a short breaker: the
 * host is skipped for its Retry-After or a doubling cooldown, then probed by one request at a time.
 */
export class HostBalancer {
  private readonly states = new Map<string, HostState>();

  constructor(
    hosts: readonly string[],
    private readonly policy: BalancerPolicy = DEFAULT_BALANCER_POLICY,
    private readonly random: () => number = Math.random,
  ) {
    if (hosts.length === 0) throw new Error('HostBalancer needs at least one host');
    for (const host of hosts) {
      this.states.set(host, { outstanding: new Set(), failures: 0, readyAt: 0, latencyMs: 0, sampledAt: 0 });
    }
  }

  get hosts(): string[] {
    return [...this.states.keys()];
  }

  /** The host for the next request: the cheaper of two random available ones, or the soonest ready. */
  choose(now: number): HostChoice {
    const available = [...this.states].filter(([, s]) => this.isAvailable(s, now));
    if (available.length > 0) {
      const [a, b] = this.twoAtRandom(available.length);
      const first = available[a] as [string, HostState];
      const second = available[b] as [string, HostState];
      const best = this.cost(second[1], now) < this.cost(first[1], now) ? second : first;
      return { host: best[0], readyInMs: 0 };
    }
    // Every host is cooling down or has its one probe in flight: the one whose cooldown ends first.
    let soonest: [string, HostState] | undefined;
    for (const entry of this.states) {
      if (!soonest || entry[1].readyAt < soonest[1].readyAt) soonest = entry;
    }
    const [host, state] = soonest as [string, HostState];
    // Past its cooldown but with a probe in flight: wait about one cooldown step for the probe's answer.
    const readyInMs = state.readyAt > now ? state.readyAt - now : this.policy.baseCooldownMs;
    return { host, readyInMs };
  }

  /** Records a request sent to `host`. */
  begin(host: string, now: number): HostTicket {
    const ticket = { host, startedAt: now };
    this.state(host).outstanding.add(ticket);
    return ticket;
  }

  /** The host answered (a verdict or a refusal of the request): healthy; its latency is sampled. */
  succeeded(ticket: HostTicket, now: number): void {
    const state = this.finish(ticket);
    if (!state) return;
    state.failures = 0;
    state.readyAt = 0;
    this.sample(state, now - ticket.startedAt, now);
  }

  /** The host failed the request: skipped for `retryAfterMs` (capped) or the next cooldown step. */
  failed(ticket: HostTicket, now: number, retryAfterMs?: number): void {
    const state = this.finish(ticket);
    if (!state) return;
    state.failures += 1;
    const backoff = this.policy.baseCooldownMs * 2 ** (state.failures - 1);
    state.readyAt = now + Math.min(this.policy.maxCooldownMs, retryAfterMs ?? backoff);
    // A timeout says the host is at least this slow.
    this.sample(state, now - ticket.startedAt, now);
  }

  /** The request ended without telling anything about the host (the caller gave up): forget it. */
  released(ticket: HostTicket): void {
    this.finish(ticket);
  }

  /** For logs and tests: each host's requests in flight and whether it is cooling down. */
  snapshot(
    now: number,
  ): Array<{ host: string; outstanding: number; coolingForMs: number; failures: number }> {
    return [...this.states].map(([host, s]) => ({
      host,
      outstanding: s.outstanding.size,
      coolingForMs: Math.max(0, s.readyAt - now),
      failures: s.failures,
    }));
  }

  private isAvailable(state: HostState, now: number): boolean {
    if (state.failures === 0) return true;
    // Half-open: past its cooldown, a failing host gets one probe at a time.
    return now >= state.readyAt && state.outstanding.size === 0;
  }

  private cost(state: HostState, now: number): number {
    let oldest = now;
    for (const ticket of state.outstanding) oldest = Math.min(oldest, ticket.startedAt);
    const latency = Math.max(this.latency(state, now), now - oldest, 1);
    return (state.outstanding.size + 1) * latency;
  }

  private latency(state: HostState, now: number): number {
    return state.latencyMs * Math.exp(-(now - state.sampledAt) / this.policy.latencyDecayMs);
  }

  // Peak EWMA: a slower answer is taken at once, faster ones pull the estimate down gradually.
  private sample(state: HostState, latencyMs: number, now: number): void {
    const current = this.latency(state, now);
    state.latencyMs = latencyMs > current ? latencyMs : current * 0.7 + latencyMs * 0.3;
    state.sampledAt = now;
  }

  private twoAtRandom(n: number): [number, number] {
    const a = Math.floor(this.random() * n);
    if (n === 1) return [a, a];
    const b = (a + 1 + Math.floor(this.random() * (n - 1))) % n;
    return [a, b];
  }

  private finish(ticket: HostTicket): HostState | undefined {
    const state = this.states.get(ticket.host);
    if (!state?.outstanding.delete(ticket)) return undefined;
    return state;
  }

  private state(host: string): HostState {
    const state = this.states.get(host);
    if (!state) throw new Error(`unknown host ${host}; the balancer knows ${this.hosts.join(', ')}`);
    return state;
  }
}
