import type { Knex } from 'knex';
import { createKnex } from './connection.js';
import { closeRedis, createRedis, pingRedis, type Redis } from './redis.js';

export interface Stores {
  knex: Knex;
  redis: Redis;
  /** Closes the pool and the Redis client; for graceful shutdown. */
  close(): Promise<void>;
}

/** The service's own database and the shared Redis, opened together and closed together. */
/** Where a store reports trouble it recovers from by itself (a pino logger fits). */
export interface StoreLogger {
  warn(details: object, message: string): void;
}

export function openStores(config: { DATABASE_URL: string; REDIS_URL: string }, service: string, logger?: StoreLogger): Stores {
  const knex = createKnex(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, `tamkeen:${service}`, (err) => logger?.warn({ err }, 'Redis is unreachable; retrying'));
  return {
    knex,
    redis,
    async close() {
      await Promise.all([knex.destroy(), closeRedis(redis)]);
    },
  };
}

/** The readiness checks of a service's stores, for /readyz. */
export function storeChecks(stores: Pick<Stores, 'knex' | 'redis'>): Record<string, () => Promise<unknown>> {
  return {
    postgres: () => stores.knex.raw('select 1'),
    redis: () => pingRedis(stores.redis),
  };
}
