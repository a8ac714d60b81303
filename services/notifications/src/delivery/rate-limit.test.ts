import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;

beforeAll(async () => {
  service = await testNotifications('notifications rate limit');
  await service.stores.knex('organisation_limits').insert([
    { organisation_id: 'small-council', per_minute: 2 },
    { organisation_id: 'busy-council', per_minute: 4 },
    { organisation_id: 'retrying-council', per_minute: 1 },
  ]);
});
afterAll(() => service.close());

async function sender(organisation: string) {
  const auth = await service.bearer('notifications:send', organisation);
  const template = await request(service.app).post('/notifications/v1/templates').set('Authorization', auth).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } });
  return (headers: Record<string, string> = {}) =>
    request(service.app).post('/notifications/v1/sms').set('Authorization', auth).set(headers).send({ phone_number: '0599123456', template_id: template.body.id, personalisation: { code: '1' } });
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

  it('counts sends that arrive together one by one: 12 at once against an allowance of 4 give 4 notifications', async () => {
    const busy = await sender('busy-council');
    const answers = await Promise.all(Array.from({ length: 12 }, () => busy()));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(4).fill(201), ...Array(8).fill(429)]);
    const stored = await service.stores.knex('notifications').where({ organisation_id: 'busy-council' }).select('id');
    expect(stored.map((row: { id: string }) => row.id).sort()).toEqual(answers.filter((a) => a.status === 201).map((a) => a.body.id as string).sort());
  });

  it('answers a send repeated with its Idempotency-Key with the first notification, even once the allowance is used', async () => {
    const retrying = await sender('retrying-council');
    const first = await retrying({ 'Idempotency-Key': 'send-1' });
    expect(first.status).toBe(201);
    const again = await retrying({ 'Idempotency-Key': 'send-1' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await retrying({ 'Idempotency-Key': 'send-2' })).status).toBe(429);
  });
});
