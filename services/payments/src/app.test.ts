import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeRedis } from '@tamkeen/db';
import { openTestStores, unreachableRedis, type TestStores } from '@tamkeen/db/testing';
import { createLogger, PROBLEM_CONTENT_TYPE } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import type { PaymentsConfig } from './config.js';
import { migrations } from './db/migrations/index.js';

let stores: TestStores;
const logs = logCapture();
const config = {} as PaymentsConfig;

beforeAll(async () => {
  stores = await openTestStores('payments app', migrations);
});
afterAll(() => stores.close());

function app(redis = stores.redis) {
  return createApp({ config, logger: createLogger({ service: 'payments', destination: logs.destination }), knex: stores.knex, redis });
}

describe('payments service skeleton', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(app()).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('is not ready, naming Redis, when Redis is unreachable', async () => {
    const redis = await unreachableRedis();
    try {
      const response = await request(app(redis)).get('/readyz');
      expect(response.status).toBe(503);
      expect(response.body.checks.redis.status).toBe('down');
      expect(response.body.checks.postgres.status).toBe('up');
    } finally {
      await closeRedis(redis);
    }
  });

  it.each(['/payments/v1/anything', '/pay/pay_1', '/finance'])('answers %s with 501 until it is built, and logs the request id', async (path) => {
    const response = await request(app()).get(path).set('X-Request-Id', 'abc');
    expect(response.status).toBe(501);
    expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.body).toMatchObject({ status: 501, request_id: 'abc', instance: path });
    expect(logs.lines.some((l) => l.requestId === 'abc' && l.url === path && l.status === 501 && l.service === 'payments')).toBe(true);
  });

  it('answers what it does not serve with 404', async () => {
    expect((await request(app()).get('/auth/citizen')).status).toBe(404);
  });
});
