import type { UploadResult } from '../contracts/results.ts';
import { connectRedis, RedisUnavailableError } from './redis-connection.ts';
import { RESULTS_CHANNEL, RedisResultBus } from './redis-result-bus.ts';
import { RedisResultCache } from './redis-result-cache.ts';
import { LocalResultBus, type ResultBus } from './result-bus.ts';
import { MemoryResultCache, type ResultCache } from './result-cache.ts';
import { ResultStore, type StoreOutcome } from './result-store.ts';

/** What a relay does beyond its cache and bus: checking its backing store at start, releasing it at close. */
export interface RelayLifecycle {
  /** Throws when the backing store cannot be reached. */
  readonly ready?: () => Promise<void>;
  /** Turns a failure to start into an error that names the configuration to fix. */
  readonly explain?: (error: unknown) => Error;
  readonly close?: () => Promise<void>;
}

/**
 * How a gateway shares results: the cache that keeps them for late subscribers and polls, and the bus
 * that carries new ones to every gateway's WebSocket subscribers. In memory for the single gateway;
 * in Redis when several share the load.
 */
export class ResultRelay {
  constructor(
    readonly cache: ResultCache,
    readonly bus: ResultBus,
    private readonly lifecycle: RelayLifecycle = {},
  ) {}

  /**
   * Checks the backing store, then hands every new result, from whichever gateway took it in, to
   * `deliver` (this gateway's sockets). Rejects when Redis cannot be reached (RedisUnavailableError).
   */
  async start(deliver: (result: UploadResult) => void): Promise<void> {
    try {
      await this.lifecycle.ready?.();
      await this.bus.subscribe(deliver);
    } catch (error) {
      throw this.lifecycle.explain?.(error) ?? error;
    }
  }

  /** Stores a checked result and, unless it is a duplicate, announces it to every gateway. */
  async accept(result: UploadResult): Promise<StoreOutcome> {
    const outcome = await this.cache.put(result);
    if (outcome !== 'duplicate' && !this.cache.announces) await this.bus.publish(result);
    return outcome;
  }

  /** The result waiting for `uploadId`, if any gateway took one in and it has not expired. */
  lookup(uploadId: string): Promise<UploadResult | undefined> {
    return this.cache.get(uploadId);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.cache.close();
    await this.lifecycle.close?.();
  }
}

export interface ResultRelayOptions {
  /** REDIS_URL: set, results are shared through Redis; unset, they stay in this process. */
  readonly redisUrl?: string | undefined;
  readonly ttlMs: number;
  readonly maxResults: number;
  /** Errors kept at most, apart from predictions; default a tenth of maxResults. */
  readonly maxErrors?: number | undefined;
  /** Told about a bus message that is not a result (someone else writing to the channel). */
  readonly onInvalid?: (reason: string) => void;
  /** Told about each Redis connection error (repeated while Redis is unreachable), for the log. */
  readonly onRedisError?: (error: Error) => void;
}

/** The relay the configuration asks for: Redis-backed with REDIS_URL, in memory without. */
export function createResultRelay(options: ResultRelayOptions): ResultRelay {
  const maxErrors = options.maxErrors ?? Math.max(1, Math.floor(options.maxResults / 10));
  if (!options.redisUrl) {
    return new ResultRelay(
      new MemoryResultCache(new ResultStore(options.ttlMs, options.maxResults, maxErrors)),
      new LocalResultBus(),
    );
  }
  const url = options.redisUrl;
  // The connection's own error ("connect ECONNREFUSED …") says more than a command's ("max retries").
  let lastConnectionError: Error | undefined;
  const onError = (error: Error) => {
    lastConnectionError = error;
    options.onRedisError?.(error);
  };
  const redis = connectRedis(url, 'gateway', onError);
  const cache = new RedisResultCache(redis, {
    ttlMs: options.ttlMs,
    maxPredictions: options.maxResults,
    maxErrors,
    announceOn: RESULTS_CHANNEL,
  });
  const bus = new RedisResultBus(redis, options.onInvalid, onError);
  return new ResultRelay(cache, bus, {
    ready: () => redis.ping().then(() => {}),
    // The subscriber is a second connection: a failure there is the same misconfiguration.
    explain: (error) => new RedisUnavailableError(url, lastConnectionError ?? error),
    close: async () => {
      // QUIT lets replies in flight arrive; a connection that is down is simply dropped.
      await redis.quit().catch(() => redis.disconnect());
    },
  });
}
