import type { Redis } from 'ioredis';
import { type UploadResult, uploadResultSchema } from '../contracts/results.ts';
import type { ResultCache } from './result-cache.ts';
import { resultIdentity } from './result-cache.ts';
import { isFinal, type StoreOutcome } from './result-store.ts';

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
 * once cannot both win), the same rules as the in-memory ResultStore: the first final result (a
 * prediction or a final error) wins, a later one is a duplicate; the same error again is a duplicate;
 * a non-final error is replaced by what comes next. Otherwise
 * the entry is (re)written with its TTL, indexed by kind in a sorted set by time, expired members are
 * forgotten, the oldest entries of the same kind beyond its cap are deleted, and the result is
 * published on the announce channel, if any.
 */
const PUT_SCRIPT = `
local current, final = unpack(redis.call('HMGET', KEYS[1], 'identity', 'final'))
if current and (final == '1' or current == 'prediction' or current == ARGV[1]) then return 'duplicate' end
local time = redis.call('TIME')
local now, ttl = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), tonumber(ARGV[3])
-- Ordered by Redis's clock (not each gateway's), ties within a millisecond by a counter.
-- (As strings: Lua would print a number this large in %.14g and lose the low digits.)
local score = string.format('%.0f', now * 1000 + redis.call('INCR', KEYS[4]) % 1000)
local expired = string.format('%.0f', (now - ttl) * 1000)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'identity', ARGV[1], 'body', ARGV[2], 'final', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[5])
-- Verdicts and errors are indexed and capped apart: errors (final or not) only ever evict errors.
local index, cap = KEYS[3], tonumber(ARGV[7])
if ARGV[1] == 'prediction' then index, cap = KEYS[2], tonumber(ARGV[6]) end
redis.call('ZADD', index, score, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', expired)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', expired)
local over = redis.call('ZCARD', index) - cap
if over > 0 then
  local oldest = redis.call('ZPOPMIN', index, over)
  for i = 1, #oldest, 2 do redis.call('DEL', ARGV[4] .. oldest[i]) end
end
if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[8], ARGV[2]) end
if current then return 'replaced' end
return 'stored'
`;

/** The connection once the put script is defined on it (ioredis adds the method at run time). */
type ScriptedRedis = Redis & {
  pictorPutResult(...keysThenArgs: Array<string | number>): Promise<unknown>;
};

/** The result cache every gateway shares, in Redis (ElastiCache/Valkey in AWS). */
export class RedisResultCache implements ResultCache {
  private readonly prefix: string;
  readonly announces: boolean;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResultCacheOptions,
  ) {
    this.prefix = options.prefix ?? 'pictor:{results}:';
    this.announces = options.announceOn !== undefined;
    // EVALSHA with a fallback to EVAL: the script's text crosses the wire once per connection, not per put.
    if (!('pictorPutResult' in redis))
      redis.defineCommand('pictorPutResult', { numberOfKeys: 4, lua: PUT_SCRIPT });
  }

  async put(result: UploadResult): Promise<StoreOutcome> {
    const { uploadId, identity } = resultIdentity(result);
    const entryPrefix = `${this.prefix}result:`;
    const outcome = await (this.redis as ScriptedRedis).pictorPutResult(
      `${entryPrefix}${uploadId}`,
      `${this.prefix}predictions`,
      `${this.prefix}errors`,
      `${this.prefix}sequence`,
      identity,
      JSON.stringify(result),
      this.options.ttlMs,
      entryPrefix,
      uploadId,
      this.options.maxPredictions,
      this.options.maxErrors,
      this.options.announceOn ?? '',
      isFinal(result) ? '1' : '0',
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
