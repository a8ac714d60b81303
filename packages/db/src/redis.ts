import { Redis } from 'ioredis';

export type { Redis };

/**
 * An ioredis client for one service. Commands fail fast while Redis is unreachable instead of
 * queueing without bound, so readiness reports it and requests get an answer.
 */
export function createRedis(redisUrl: string, connectionName: string, onError?: (error: Error) => void): Redis {
  const redis = new Redis(redisUrl, {
    // Redis refuses client names with spaces.
    connectionName: connectionName.replace(/\s+/g, '-'),
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
  // Without a listener ioredis prints every failed reconnection with a stack trace. Report the
  // first failure of each outage only; readiness says the rest.
  let reported = false;
  redis.on('ready', () => (reported = false));
  redis.on('error', (error: Error) => {
    lastErrors.set(redis, error);
    if (reported) return;
    reported = true;
    onError?.(error);
  });
  return redis;
}

const lastErrors = new WeakMap<Redis, Error>();

/** Resolves when Redis answers; otherwise fails at once with why it is not connected. */
export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    const last = lastErrors.get(redis) as (Error & { code?: string }) | undefined;
    throw Object.assign(new Error(`not connected (${redis.status})`), last?.code ? { code: last.code } : {});
  }
  await redis.ping();
}

/** Closes the client: QUIT when connected, otherwise drops the reconnect loop. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit();
  } else if (redis.status !== 'end') {
    // (disconnect() on an ended client would start a new connection attempt.)
    redis.disconnect();
  }
}
