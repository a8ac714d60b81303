import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import twilio from 'twilio';
import { TEST_TWILIO_AUTH_TOKEN, testNotifications, type TestNotifications } from '../test-app.js';

const CALLBACK_URL = 'https://tamkeen.example/notifications/v1/callbacks/twilio';
let service: TestNotifications;
let id: string;
const sid = `SM${'ab'.repeat(16)}`;

beforeAll(async () => {
  service = await testNotifications('notifications callbacks', { smsStatusCallbackUrl: CALLBACK_URL });
  const templateId = randomUUID();
  await service.stores.knex('templates').insert({ id: templateId, organisation_id: 'moh', name: 't', type: 'sms', current_version: 1 });
  id = randomUUID();
  await service.stores.knex('notifications').insert({
    id,
    organisation_id: 'moh',
    type: 'sms',
    lane: 'priority',
    status: 'sending',
    recipient: '+970599123456',
    template_id: templateId,
    template_version: 1,
    body: 'x',
    request_hash: 'x',
    provider_reference: sid,
  });
});
afterAll(() => service.close());

function callback(params: Record<string, string>, { token = TEST_TWILIO_AUTH_TOKEN, url = CALLBACK_URL, query = '' } = {}) {
  const signature = twilio.getExpectedTwilioSignature(token, `${url}${query}`, params);
  return request(service.app).post(`/notifications/v1/callbacks/twilio${query}`).set('X-Twilio-Signature', signature).type('form').send(params);
}

const status = async () => (await service.stores.knex('notifications').where({ id }).first<{ status: string }>())!.status;

describe('Twilio delivery callbacks', () => {
  it('refuses a callback that is not signed with the account’s token, or signed for another URL, changing nothing', async () => {
    expect((await callback({ MessageSid: sid, MessageStatus: 'delivered' }, { token: 'someone-elses-token-123' })).status).toBe(403);
    expect((await callback({ MessageSid: sid, MessageStatus: 'delivered' }, { url: 'https://evil.example/cb' })).status).toBe(403);
    expect((await request(service.app).post('/notifications/v1/callbacks/twilio').type('form').send({ MessageSid: sid, MessageStatus: 'delivered' })).status).toBe(403);
    expect(await status()).toBe('sending');
  });

  it('moves the status forward only: sent, delivered, and a late sent changes nothing', async () => {
    expect((await callback({ MessageSid: sid, MessageStatus: 'sent' })).status).toBe(204);
    expect(await status()).toBe('sent');
    await callback({ MessageSid: sid, MessageStatus: 'delivered' });
    expect(await status()).toBe('delivered');
    await callback({ MessageSid: sid, MessageStatus: 'sent' });
    expect(await status()).toBe('delivered');
  });

  it('finds its notification by the id in the callback address when the status outruns the worker recording the provider’s id', async () => {
    const early = randomUUID();
    const template = await service.stores.knex('templates').first<{ id: string }>('id');
    await service.stores.knex('notifications').insert({ id: early, organisation_id: 'moh', type: 'sms', lane: 'bulk', status: 'sending', recipient: '+970599123457', template_id: template!.id, template_version: 1, body: 'x', request_hash: 'y' });
    const earlySid = `SM${'ef'.repeat(16)}`;
    expect((await callback({ MessageSid: earlySid, MessageStatus: 'delivered' }, { query: `?notification=${early}` })).status).toBe(204);
    expect(await service.stores.knex('notifications').where({ id: early }).first()).toMatchObject({ status: 'delivered', provider_reference: earlySid });
    // The address is signed: another notification's id there breaks the signature.
    const forged = twilio.getExpectedTwilioSignature(TEST_TWILIO_AUTH_TOKEN, `${CALLBACK_URL}?notification=${early}`, { MessageSid: earlySid, MessageStatus: 'sent' });
    const tampered = await request(service.app).post(`/notifications/v1/callbacks/twilio?notification=${id}`).set('X-Twilio-Signature', forged).type('form').send({ MessageSid: earlySid, MessageStatus: 'sent' });
    expect(tampered.status).toBe(403);
  });

  it('acknowledges a callback about a message it does not know', async () => {
    expect((await callback({ MessageSid: `SM${'cd'.repeat(16)}`, MessageStatus: 'delivered' })).status).toBe(204);
  });
});
