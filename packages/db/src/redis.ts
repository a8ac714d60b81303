import { Redis } from 'ioredis';

export type { Redis };

/**
 * An ioredis client for one service. Commands fail fast while Redis is unreachable instead of
 * queueing without bound, so readiness reports it and requests get an answer.
 */
export function createRedis(redisUrl: string, connectionName: string): Redis {
  return new Redis(redisUrl, {
    connectionName,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
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
