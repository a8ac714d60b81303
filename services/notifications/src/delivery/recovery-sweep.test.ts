import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';
import { requeueUnsent } from './recovery-sweep.js';

let service: TestNotifications;
let send: string;
let templateId: string;

beforeAll(async () => {
  service = await testNotifications('notifications sweep');
  send = await service.bearer('notifications:send');
  templateId = (
    await request(service.app).post('/notifications/v1/templates').set('Authorization', send).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } })
  ).body.id;
});
afterAll(() => service.close());

describe('the recovery sweep', () => {
  it('queues again what Redis lost after the API accepted it, once', async () => {
    const accepted = await request(service.app)
      .post('/notifications/v1/sms')
      .set('Authorization', send)
      .send({ phone_number: '0599123456', template_id: templateId, personalisation: { code: '1' }, priority: 'high' });
    expect(accepted.status).toBe(201);
    expect(await service.lanes.depth('priority')).toBe(1);

    await service.loseQueuedJobs(); // Redis restarted without its data
    expect(await service.lanes.depth('priority')).toBe(0);

    expect(await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 0 })).toBe(1);
    expect(await service.lanes.depth('priority')).toBe(1);
    // Running it again adds nothing: the job is queued under the notification's id.
    await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 0 });
    expect(await service.lanes.depth('priority')).toBe(1);
    // Queue depths by lane and state are on the API's /metrics.
    const metrics = await request(service.app).get('/metrics');
    expect(metrics.text.split('\n')).toContainEqual(expect.stringMatching(/^notifications_queue_jobs\{(?=.*lane="priority")(?=.*state="waiting").*\} 1$/));
  });

  it('leaves alone what is younger than the grace period, and what was handed over', async () => {
    await service.loseQueuedJobs();
    expect(await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 60_000 })).toBe(0);
    await service.stores.knex('notifications').update({ status: 'sending', provider_reference: 'SM1' });
    expect(await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 0 })).toBe(0);
  });
});
