import type { UploadResult } from '../contracts/results.ts';
import { connectRedis } from './redis-connection.ts';
import { RESULTS_CHANNEL, RedisResultBus } from './redis-result-bus.ts';
import { RedisResultCache } from './redis-result-cache.ts';
import { LocalResultBus, type ResultBus } from './result-bus.ts';
import { MemoryResultCache, type ResultCache } from './result-cache.ts';
import { ResultStore, type StoreOutcome } from './result-store.ts';

/**
 * How a gateway shares results: the cache that keeps them for late subscribers and polls, and the bus
 * that carries new ones to every gateway's WebSocket subscribers. In memory for the single gateway;
 * in Redis when several share the load.
 */
export class ResultRelay {
  constructor(
    readonly cache: ResultCache,
    readonly bus: ResultBus,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  /** Hands every new result, from whichever gateway took it in, to `deliver` (this gateway's sockets). */
  start(deliver: (result: UploadResult) => void): Promise<void> {
    return this.bus.subscribe(deliver);
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
    await this.onClose();
  }
}

export interface ResultRelayOptions {
  /** REDIS_URL: set, results are shared through Redis; unset, they stay in this process. */
  readonly redisUrl?: string | undefined;
  readonly ttlMs: number;
  readonly maxResults: number;
  /** Errors kept at most in Redis, apart from predictions; default a tenth of maxResults. */
  readonly maxErrors?: number;
  /** Told about a bus message that is not a result (someone else writing to the channel). */
  readonly onInvalid?: (reason: string) => void;
  /** Told about each Redis connection error (repeated while Redis is unreachable), for the log. */
  readonly onRedisError?: (error: Error) => void;
}

/** The relay the configuration asks for: Redis-backed with REDIS_URL, in memory without. */
export function createResultRelay(options: ResultRelayOptions): ResultRelay {
  if (!options.redisUrl) {
    return new ResultRelay(
      new MemoryResultCache(new ResultStore(options.ttlMs, options.maxResults)),
      new LocalResultBus(),
    );
  }
  const onError = options.onRedisError ?? (() => {});
  const redis = connectRedis(options.redisUrl, 'gateway', onError);
  const cache = new RedisResultCache(redis, {
    ttlMs: options.ttlMs,
    maxPredictions: options.maxResults,
    maxErrors: options.maxErrors ?? Math.max(1, Math.floor(options.maxResults / 10)),
    announceOn: RESULTS_CHANNEL,
  });
  return new ResultRelay(cache, new RedisResultBus(redis, options.onInvalid, onError), async () => {
    // QUIT lets replies in flight arrive; a connection that is down is simply dropped.
    await redis.quit().catch(() => redis.disconnect());
  });
}
