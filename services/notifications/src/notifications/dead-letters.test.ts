import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;
let auth: string;
let failedId: string;

beforeAll(async () => {
  service = await testNotifications('notifications dead letters');
  auth = await service.bearer('notifications:send notifications:read');
  const template = await request(service.app).post('/notifications/v1/templates').set('Authorization', auth).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } });
  const accepted = await request(service.app).post('/notifications/v1/sms').set('Authorization', auth).send({ phone_number: '0599123456', template_id: template.body.id, personalisation: { code: '1' } });
  failedId = accepted.body.id;
  // As the workers leave it after the last try (and the queue keeps its failed job).
  await service.stores.knex('notifications').where({ id: failedId }).update({ status: 'technical-failure', attempts: 5, last_error: 'Twilio could not be reached' });
});
afterAll(() => service.close());

describe('the dead-letter list', () => {
  it('lists what every retry failed to send, and requeues it once', async () => {
    const list = await request(service.app).get('/notifications/v1/dead-letters').set('Authorization', auth);
    expect(list.body.notifications.map((n: { id: string }) => n.id)).toEqual([failedId]);

    const requeued = await request(service.app).post(`/notifications/v1/notifications/${failedId}/requeue`).set('Authorization', auth);
    expect(requeued.status).toBe(200);
    expect(requeued.body.status).toBe('created');
    expect(await service.lanes.depth('bulk')).toBe(1);
    expect((await request(service.app).get('/notifications/v1/dead-letters').set('Authorization', auth)).body.notifications).toEqual([]);

    const again = await request(service.app).post(`/notifications/v1/notifications/${failedId}/requeue`).set('Authorization', auth);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('not_requeueable');
  });

  it('requeues only the organisation’s own', async () => {
    const other = await service.bearer('notifications:send', 'mof');
    expect((await request(service.app).post(`/notifications/v1/notifications/${failedId}/requeue`).set('Authorization', other)).status).toBe(404);
  });
});
