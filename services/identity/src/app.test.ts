import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { identityConfig } from './config.js';
import { loadConfig } from '@tamkeen/config';
import { migrations } from './db/migrations/index.js';

let stores: TestStores;

beforeAll(async () => {
  stores = await openTestStores('identity app', migrations);
});
afterAll(() => stores.close());

const app = () =>
  createApp({ config: loadConfig('identity', identityConfig, { DATABASE_URL: stores.db.url, REDIS_URL: 'redis://127.0.0.1:6379' }), logger: createLogger({ service: 'identity', destination: logCapture().destination }), ...stores });

describe('identity service skeleton', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(app()).get('/readyz');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.checks).sort()).toEqual(['postgres', 'redis']);
  });

  it('answers both issuers with 501 until login is built', async () => {
    for (const path of ['/auth/citizen/.well-known/openid-configuration', '/auth/enterprise/token']) {
      const response = await request(app()).get(path);
      expect(response.status).toBe(501);
      expect(response.body.detail).toMatch(/issue 4/);
    }
  });

  it('stores oidc models with one row per kind and id, and unique interaction uids', async () => {
    const row = { kind: 'Session', id: 's1', payload: { accountId: 'a' }, uid: 'u1' };
    await stores.knex('oidc_models').insert(row);
    await expect(stores.knex('oidc_models').insert(row)).rejects.toThrow(/duplicate key/);
    await expect(stores.knex('oidc_models').insert({ ...row, id: 's2' })).rejects.toThrow(/oidc_models_uid/);
    await stores.knex('oidc_models').insert({ ...row, kind: 'Interaction', id: 's1' });
  });
});
