import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { registryConfig } from './config.js';
import { loadConfig } from '@tamkeen/config';
import { migrations } from './db/migrations/index.js';

let stores: TestStores;

beforeAll(async () => {
  stores = await openTestStores('registry app', migrations);
});
afterAll(() => stores.close());

const app = () =>
  createApp({ config: loadConfig('registry', registryConfig, { DATABASE_URL: stores.db.url, REDIS_URL: 'redis://127.0.0.1:6379' }), logger: createLogger({ service: 'registry', destination: logCapture().destination }), ...stores });

const citizen = (nationalId: string) => ({
  national_id: nationalId,
  first_name_ar: 'أمل',
  father_name_ar: 'محمد',
  grandfather_name_ar: 'أحمد',
  family_name_ar: 'الخطيب',
  first_name_en: 'Amal',
  father_name_en: 'Mohammad',
  grandfather_name_en: 'Ahmad',
  family_name_en: 'Al-Khatib',
  date_of_birth: '1990-03-14',
  sex: 'female',
  mother_first_name_ar: 'فاطمة',
  place_of_birth: 'Nablus',
  governorate: 'Nablus',
  card_issue_date: '2015-06-01',
});

describe('registry service skeleton', () => {
  it('is ready when its database and Redis answer', async () => {
    expect((await request(app()).get('/readyz')).status).toBe(200);
  });

  it('answers the register API with 501 until it is built', async () => {
    const response = await request(app()).post('/r1/PS/GOV/MOI/registry/verify').send({});
    expect(response.status).toBe(501);
  });

  it('stores only national ID numbers whose check digit is right', async () => {
    await stores.knex('citizens').insert(citizen('123456782'));
    for (const wrong of ['123456789', '12345678', '12345678a']) {
      await expect(stores.knex('citizens').insert(citizen(wrong))).rejects.toThrow(/citizens_national_id|value too long/);
    }
  });
});
