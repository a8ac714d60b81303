import { loadConfig } from '@tamkeen/config';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { accessTokenVerifier, createLogger } from '@tamkeen/http-kit';
import { logCapture, startTestIssuer, type TestIssuer } from '@tamkeen/testing';
import type { Express } from 'express';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openLanes, type Lanes } from './delivery/lanes.js';
import { openStatusChanges, type StatusChanges } from './delivery/webhooks.js';
import { createApp } from './app.js';
import { notificationsConfig } from './config.js';
import { migrations } from './db/migrations/index.js';

/** The auth token the test sandbox and the test app share. */
export const TEST_TWILIO_AUTH_TOKEN = 'notifications-test-sandbox-token';

export interface TestNotifications {
  app: Express;
  stores: TestStores;
  issuer: TestIssuer;
  logs: ReturnType<typeof logCapture>;
  lanes: Lanes;
  statusChanges: StatusChanges;
  /** This test file's own key prefix in the shared Redis. */
  queuePrefix: string;
  /** A connection for BullMQ workers (maxRetriesPerRequest: null), closed with the rest. */
  blockingConnection(): Redis;
  /** Drops every queued job of this test file, as a Redis restarted without its data would. */
  loseQueuedJobs(): Promise<void>;
  /** A bearer header for a client of `organisation` with `scope`. */
  bearer(scope: string, organisation?: string): Promise<string>;
  close(): Promise<void>;
}

/** The notifications app on a fresh database, the real Redis, and a stand-in token issuer. */
export async function testNotifications(label: string, { smsStatusCallbackUrl = 'http://localhost:8080/notifications/v1/callbacks/twilio' } = {}): Promise<TestNotifications> {
  const stores = await openTestStores(label, migrations);
  const queuePrefix = `test-${randomUUID()}`;
  const issuer = await startTestIssuer({ audience: 'http://localhost:8080/notifications/v1' });
  const config = loadConfig('notifications', notificationsConfig, {
    DATABASE_URL: stores.db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    ACCESS_TOKEN_JWKS_URL: issuer.jwksUrl,
    ACCESS_TOKEN_ISSUER: issuer.issuer,
    ACCESS_TOKEN_AUDIENCE: issuer.audience,
    TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
    SMS_STATUS_CALLBACK_URL: smsStatusCallbackUrl,
    QUEUE_PREFIX: queuePrefix,
  });
  const logs = logCapture();
  const verifyAccessToken = accessTokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.audience });
  const lanes = openLanes(stores.redis, { attempts: 3, backoffMs: 20 }, queuePrefix);
  const statusChanges = openStatusChanges(stores.redis, queuePrefix, { attempts: 3, backoffMs: 20 });
  const app = createApp({ config, logger: createLogger({ service: 'notifications', destination: logs.destination }), knex: stores.knex, redis: stores.redis, verifyAccessToken, lanes, statusChanges });
  const blocking: Redis[] = [];
  return {
    app,
    stores,
    issuer,
    logs,
    lanes,
    statusChanges,
    queuePrefix,
    blockingConnection() {
      // The same Redis as the lanes (REDIS_URL honoured), for blocking commands.
      const connection = stores.redis.duplicate({ maxRetriesPerRequest: null });
      blocking.push(connection);
      return connection;
    },
    loseQueuedJobs: () => deleteKeys(stores.redis, `${queuePrefix}:*`),
    async bearer(scope, organisation = 'moh') {
      return `Bearer ${await issuer.sign({ scope, organisation_id: organisation, client_id: `${organisation}-portal` })}`;
    },
    async close() {
      await lanes.close();
      await statusChanges.close();
      await Promise.all(blocking.map((connection) => connection.quit()));
      await deleteKeys(stores.redis, `${queuePrefix}:*`);
      await issuer.close();
      await stores.close();
    },
  };
}

/** Removes this test file's keys from the shared Redis. */
async function deleteKeys(redis: TestStores['redis'], pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
