import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;

beforeAll(async () => {
  service = await testNotifications('notifications rate limit');
  await service.stores.knex('organisation_limits').insert({ organisation_id: 'small-council', per_minute: 2 });
});
afterAll(() => service.close());

async function sender(organisation: string) {
  const auth = await service.bearer('notifications:send', organisation);
  const template = await request(service.app).post('/notifications/v1/templates').set('Authorization', auth).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } });
  return () => request(service.app).post('/notifications/v1/sms').set('Authorization', auth).send({ phone_number: '0599123456', template_id: template.body.id, personalisation: { code: '1' } });
}

describe('per-organisation sending limit', () => {
  it('answers 429 with Retry-After once the organisation’s allowance is used, storing nothing, and leaves others alone', async () => {
    const small = await sender('small-council');
    expect((await small()).status).toBe(201);
    expect((await small()).status).toBe(201);
    const refused = await small();
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    // Two a minute: the next one is about 30 s away.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(25);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(await service.stores.knex('notifications').where({ organisation_id: 'small-council' }).count({ n: '*' })).toEqual([{ n: '2' }]);

    const big = await sender('big-ministry');
    for (let i = 0; i < 5; i++) expect((await big()).status).toBe(201);
  });
});
