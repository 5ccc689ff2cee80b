import type { Redis } from 'ioredis';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import type { ResultCache } from './result-cache.ts';
import { resultIdentity } from './result-cache.ts';
import type { StoreOutcome } from './result-store.ts';

export interface RedisResultCacheOptions {
  readonly ttlMs: number;
  /** Predictions kept at most; past it the oldest prediction goes. */
  readonly maxPredictions: number;
  /** Errors kept at most, counted apart: a flood of garbage uploads only evicts other errors. */
  readonly maxErrors: number;
  /** Key prefix; the braces keep every key of the cache in one Redis Cluster slot, as the script needs. */
  readonly prefix?: string;
  /**
   * A pub/sub channel (RedisResultBus's): a new result is published there by the same script that
   * stores it, so a result is either stored and announced, or neither — never stored but unheard.
   */
  readonly announceOn?: string;
}

/**
 * Stores a result under the cache's rules in one atomic step (a Lua script, so two gateways storing at
 * once cannot both win): a stored prediction is final; the same error again is a duplicate; otherwise
 * the entry is (re)written with its TTL, indexed by kind in a sorted set by time, expired members are
 * forgotten, the oldest entries of the same kind beyond its cap are deleted, and the result is
 * published on the announce channel, if any.
 */
const PUT_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'identity')
if current and (current == 'prediction' or current == ARGV[1]) then return 'duplicate' end
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'identity', ARGV[1], 'body', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZREM', KEYS[2], ARGV[6])
redis.call('ZREM', KEYS[3], ARGV[6])
local index, cap = KEYS[3], tonumber(ARGV[8])
if ARGV[1] == 'prediction' then index, cap = KEYS[2], tonumber(ARGV[7]) end
redis.call('ZADD', index, now, ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - ttl)
local over = redis.call('ZCARD', index) - cap
if over > 0 then
  local oldest = redis.call('ZPOPMIN', index, over)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[5] .. oldest[i]) end
end
if ARGV[9] ~= '' then redis.call('PUBLISH', ARGV[9], ARGV[2]) end
if current then return 'replaced' end
return 'stored'
`;

/** The result cache every gateway shares, in Redis (ElastiCache/Valkey in AWS). */
export class RedisResultCache implements ResultCache {
  private readonly prefix: string;
  readonly announces: boolean;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResultCacheOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.prefix = options.prefix ?? 'pictor:{results}:';
    this.announces = options.announceOn !== undefined;
  }

  async put(result: UploadResult): Promise<StoreOutcome> {
    const { uploadId, identity } = resultIdentity(result);
    const entryPrefix = `${this.prefix}result:`;
    const outcome = await this.redis.eval(
      PUT_SCRIPT,
      3,
      `${entryPrefix}${uploadId}`,
      `${this.prefix}predictions`,
      `${this.prefix}errors`,
      identity,
      JSON.stringify(result),
      this.options.ttlMs,
      this.now(),
      entryPrefix,
      uploadId,
      this.options.maxPredictions,
      this.options.maxErrors,
      this.options.announceOn ?? '',
    );
    if (outcome !== 'stored' && outcome !== 'replaced' && outcome !== 'duplicate') {
      throw new Error(`the result cache script answered ${String(outcome)}; is REDIS_URL a Redis server?`);
    }
    return outcome;
  }

  async get(uploadId: string): Promise<UploadResult | undefined> {
    const body = await this.redis.hget(`${this.prefix}result:${uploadId}`, 'body');
    if (body === null) return undefined;
    // Only gateways write here, after checking; a body that no longer parses is treated as missing.
    const parsed = uploadResultSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  }

  /** Entries indexed by kind (for tests and metrics). */
  async counts(): Promise<{ predictions: number; errors: number }> {
    const [predictions, errors] = await Promise.all([
      this.redis.zcard(`${this.prefix}predictions`),
      this.redis.zcard(`${this.prefix}errors`),
    ]);
    return { predictions, errors };
  }

  async close(): Promise<void> {}
}
