import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { notificationsConfig } from './config.js';
import { loadConfig } from '@tamkeen/config';
import { migrations } from './db/migrations/index.js';

let stores: TestStores;

beforeAll(async () => {
  stores = await openTestStores('notifications app', migrations);
});
afterAll(() => stores.close());

const app = () =>
  createApp({ config: loadConfig('notifications', notificationsConfig, { DATABASE_URL: stores.db.url, REDIS_URL: 'redis://127.0.0.1:6379' }), logger: createLogger({ service: 'notifications', destination: logCapture().destination }), ...stores });

describe('notifications service skeleton', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(app()).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers the notifications API with 501 until it is built', async () => {
    const response = await request(app()).post('/notifications/v1/sms').send({ phone_number: '+970599000000' });
    expect(response.status).toBe(501);
    expect(response.body.detail).toMatch(/issue 3/);
  });

  it('accepts only GOV.UK Notify statuses, sms/email and the two lanes', async () => {
    const base = { organisation_id: 'moh', type: 'sms', lane: 'priority', recipient: '+970599000000' };
    await stores.knex('notifications').insert({ ...base, id: randomUUID() });
    for (const wrong of [{ status: 'queued' }, { type: 'fax' }, { lane: 'urgent' }]) {
      await expect(stores.knex('notifications').insert({ ...base, ...wrong, id: randomUUID() })).rejects.toThrow(/violates check constraint/);
    }
  });
});
