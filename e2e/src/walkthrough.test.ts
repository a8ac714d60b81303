import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { startPlatform, type RunningPlatform } from './platform.js';

let platform: RunningPlatform;
beforeAll(async () => {
  platform = await startPlatform('e2e walkthrough');
}, 120_000);
afterAll(() => platform?.stop(), 30_000);

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

describe('a ministry developer, as the README tells it', () => {
  it('gets a token, sends an Arabic SMS and an English e-mail through the gateway, and sees them delivered', async () => {
    await platform.command('identity', 'admin.js', ['organisation', 'add', '--id', 'moh', '--name-ar', 'وزارة الصحة', '--name-en', 'Ministry of Health']);
    const client = JSON.parse(await platform.command('identity', 'admin.js', ['machine-client', 'add', '--organisation', 'moh', '--name', 'Clinic bookings', '--scope', 'notifications:send notifications:read'])) as { client_id: string; client_secret: string };

    const token = await json(
      await fetch(`${platform.gateway}/auth/enterprise/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=notifications%3Asend+notifications%3Aread',
      }),
    );
    expect(token.status).toBe(200);
    const headers = { authorization: `Bearer ${String(token.body.access_token)}`, 'content-type': 'application/json' };
    const api = (path: string, body?: object) => fetch(`${platform.gateway}/notifications/v1${path}`, { method: body ? 'POST' : 'GET', headers, body: body ? JSON.stringify(body) : undefined }).then(json);

    const smsTemplate = await api('/templates', { name: 'appointment', type: 'sms', body: { ar: 'موعدك في ((clinic)) يوم ((date))', en: 'Your appointment at ((clinic)) on ((date))' } });
    expect(smsTemplate.status).toBe(201);
    const sms = await api('/sms', { phone_number: '0599 123 456', template_id: smsTemplate.body.id, personalisation: { clinic: 'عيادة رام الله', date: '2026-12-01' } });
    expect(sms).toMatchObject({ status: 201, body: { status: 'created', phone_number: '+970599123456', sms: { encoding: 'UCS-2', parts: 1 } } });

    const emailTemplate = await api('/templates', { name: 'receipt', type: 'email', subject: { ar: 'إيصال ((ref))', en: 'Receipt ((ref))' }, body: { ar: 'استلمنا دفعتك.', en: 'We received your payment of ((amount)).' } });
    const email = await api('/email', { email_address: 'layla@example.org', template_id: emailTemplate.body.id, language: 'en', personalisation: { ref: 'R-1', amount: 'ILS 25.00' } });
    expect(email.status).toBe(201);

    // The sandbox's inboxes, where a developer looks.
    const smsInbox = await waitFor(async () => {
      const inbox = (await (await fetch(`${platform.urls.sandbox}/inbox/api/sms?to=%2B970599123456`)).json()) as { messages: Array<{ body: string }> };
      return inbox.messages.length > 0 && inbox.messages;
    }, { what: 'the SMS in the sandbox inbox', timeoutMs: 15_000 });
    expect(smsInbox[0]!.body).toBe('موعدك في عيادة رام الله يوم 2026-12-01');
    const mailInbox = await waitFor(async () => {
      const inbox = (await (await fetch(`${platform.urls.sandbox}/inbox/api/email?to=layla%40example.org`)).json()) as { messages: Array<{ subject: string; text: string }> };
      return inbox.messages.length > 0 && inbox.messages;
    }, { what: 'the e-mail in the sandbox inbox', timeoutMs: 15_000 });
    expect(mailInbox[0]).toMatchObject({ subject: 'Receipt R-1', text: 'We received your payment of ILS 25.00.' });

    // Both reach `delivered`: the SMS by the provider's signed callbacks through the gateway.
    for (const id of [sms.body.id, email.body.id]) {
      await waitFor(async () => (await api(`/notifications/${String(id)}`)).body.status === 'delivered', { what: `notification ${String(id)} to be delivered`, timeoutMs: 15_000 });
    }
  }, 60_000);
});
