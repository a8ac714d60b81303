import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;
let send: string;
const ids: string[] = [];

beforeAll(async () => {
  service = await testNotifications('notifications listing');
  send = await service.bearer('notifications:send notifications:read');
  const template = await request(service.app).post('/notifications/v1/templates').set('Authorization', send).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } });
  for (let i = 0; i < 5; i++) {
    const accepted = await request(service.app)
      .post('/notifications/v1/sms')
      .set('Authorization', send)
      .send({ phone_number: '0599123456', template_id: template.body.id, personalisation: { code: String(i) }, reference: i % 2 ? 'odd' : 'even' });
    ids.push(accepted.body.id);
  }
  await service.stores.knex('notifications').where({ id: ids[0] }).update({ status: 'delivered' });
});
afterAll(() => service.close());

const list = (query: Record<string, string | number> = {}, auth = send) => request(service.app).get('/notifications/v1/notifications').query(query).set('Authorization', auth);

describe('listing notifications', () => {
  it('pages through them newest first, every one exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list({ limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      expect(schemaViolations('notifications.yaml', '#/components/schemas/NotificationPage', page.body)).toEqual([]);
      seen.push(...page.body.notifications.map((n: { id: string }) => n.id));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status, reference, type and time', async () => {
    expect((await list({ status: 'delivered' })).body.notifications.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
    expect((await list({ reference: 'odd' })).body.notifications).toHaveLength(2);
    expect((await list({ type: 'email' })).body.notifications).toHaveLength(0);
    expect((await list({ from: new Date(Date.now() + 60_000).toISOString() })).body.notifications).toHaveLength(0);
    expect((await list({ to: new Date(Date.now() + 60_000).toISOString() })).body.notifications).toHaveLength(5);
  });

  it('names a wrong filter', async () => {
    const response = await list({ status: 'lost', limit: 500, cursor: 'nonsense' });
    expect(response.status).toBe(400);
    expect(response.body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'status']);
  });

  it('shows an organisation only its own', async () => {
    const other = await service.bearer('notifications:read', 'mof');
    expect((await list({}, other)).body).toEqual({ notifications: [], next_cursor: null });
  });
});
