import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testNotifications, type TestNotifications } from './test-app.js';

let service: TestNotifications;

beforeAll(async () => {
  service = await testNotifications('notifications app');
});
afterAll(() => service.close());

describe('notifications service', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(service.app).get('/readyz');
    expect(response.status).toBe(200);
    expect(response.body.checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('answers an unknown path under the API with 404', async () => {
    const response = await request(service.app).get('/notifications/v1/nothing-here');
    expect(response.status).toBe(404);
  });

  it('accepts only GOV.UK Notify statuses, sms/email and the two lanes', async () => {
    const base = { organisation_id: 'moh', type: 'sms', lane: 'priority', recipient: '+970599000000' };
    await service.stores.knex('notifications').insert({ ...base, id: randomUUID() });
    for (const wrong of [{ status: 'queued' }, { type: 'fax' }, { lane: 'urgent' }]) {
      await expect(service.stores.knex('notifications').insert({ ...base, ...wrong, id: randomUUID() })).rejects.toThrow(/violates check constraint/);
    }
  });
});
