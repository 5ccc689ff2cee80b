import { Redis } from 'ioredis';

/** How long one Redis command, or connecting, may take before it fails instead of hanging a request. */
export const REDIS_TIMEOUT_MS = 2_000;

/**
 * A Redis connection for the gateway (REDIS_URL: `redis://[:password@]host:port[/db]`, or `rediss://`
 * for TLS as ElastiCache uses). Every command has a timeout and fails fast while disconnected, rather
 * than queueing without bound; the client reconnects by itself (and re-subscribes a subscriber).
 * `onError` hears each connection error (they repeat while Redis is down).
 */
export function connectRedis(url: string, name: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    connectionName: `pictor-${name}`,
    connectTimeout: REDIS_TIMEOUT_MS,
    commandTimeout: REDIS_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // Reconnect quickly at first, then every 2 s at most, for as long as the gateway runs.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // Without a listener, ioredis prints every failed reconnect itself; the gateway logs them instead.
  redis.on('error', onError);
  return redis;
}

/** REDIS_URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/** A gateway configured for Redis that cannot reach it at start-up. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      `REDIS_URL=${redactRedisUrl(url)} cannot be reached (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start Redis there (locally: redis-server --port <port>), fix REDIS_URL, or unset REDIS_URL to run a ' +
        'single gateway that keeps results in its own memory.',
      { cause },
    );
  }
}
