import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { closeRedis, createRedis } from '@tamkeen/db';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { accessTokenVerifier, createLogger, PROBLEM_CONTENT_TYPE } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { paymentsConfig } from './config.js';
import { loadConfig } from '@tamkeen/config';
import { migrations } from './db/migrations/index.js';

let stores: TestStores;
const logs = logCapture();

beforeAll(async () => {
  stores = await openTestStores('payments app', migrations);
});
afterAll(() => stores.close());

function app(redis = stores.redis) {
  const config = loadConfig('payments', paymentsConfig, {
    DATABASE_URL: stores.db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    BODY_LIMIT: '1kb',
    ACCESS_TOKEN_JWKS_URL: 'http://127.0.0.1:1/jwks',
    ACCESS_TOKEN_ISSUER: 'http://issuer.test/auth/enterprise',
    ACCESS_TOKEN_AUDIENCE: 'http://localhost:8080/payments/v1',
    PSP_SECRET_KEY: 'sk_test_payments_tests_000000',
    PSP_PUBLISHABLE_KEY: 'pk_test_payments_tests_000000',
  });
  const verifyAccessToken = accessTokenVerifier({ jwksUrl: config.ACCESS_TOKEN_JWKS_URL, issuer: config.ACCESS_TOKEN_ISSUER, audience: config.ACCESS_TOKEN_AUDIENCE });
  return createApp({ config, logger: createLogger({ service: 'payments', destination: logs.destination }), knex: stores.knex, redis, verifyAccessToken });
}

describe('payments service skeleton', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(app()).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('is not ready, naming Redis, when Redis is unreachable', async () => {
    // The production client, pointed where nothing listens: it keeps retrying, readiness answers at once.
    const redis = createRedis('redis://127.0.0.1:1', 'payments-test');
    try {
      const response = await request(app(redis)).get('/readyz');
      expect(response.status).toBe(503);
      expect(response.body.checks.redis).toMatchObject({ status: 'down', error: 'connection refused' });
      expect(response.body.checks.postgres.status).toBe('up');
    } finally {
      await closeRedis(redis);
    }
  });

  it.each(['/payments/v1/refunds', '/pay/pay_1', '/finance'])('answers %s with 501 until it is built, and logs the request id', async (path) => {
    const response = await request(app()).get(path).set('X-Request-Id', 'abc');
    expect(response.status).toBe(501);
    expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.body).toMatchObject({ status: 501, request_id: 'abc', instance: path });
    expect(logs.lines.some((l) => l.requestId === 'abc' && l.url === path && l.status === 501 && l.service === 'payments')).toBe(true);
  });

  it('refuses a body over BODY_LIMIT with 413 and malformed JSON with 400, before any route', async () => {
    const large = await request(app()).post('/payments/v1/payments').send({ description: 'x'.repeat(2_000) });
    expect(large.status).toBe(413);
    const malformed = await request(app()).post('/payments/v1/payments').set('Content-Type', 'application/json').send('{"amount":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_body');
  });

  it('answers what it does not serve with 404', async () => {
    expect((await request(app()).get('/auth/citizen')).status).toBe(404);
  });
});
