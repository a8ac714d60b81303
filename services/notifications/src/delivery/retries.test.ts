import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { twilioSmsProvider } from '../providers/twilio-sms.js';
import { testNotifications, type TestNotifications } from '../test-app.js';
import { smtpEmailProvider } from './email-provider.js';
import { startWorkers, type RunningWorkers } from './workers.js';

let service: TestNotifications;
let workers: RunningWorkers;
const logs = logCapture();

beforeAll(async () => {
  service = await testNotifications('notifications retries');
  workers = startWorkers({
    knex: service.stores.knex,
    // Nothing listens there: every send fails as when the provider is down.
    sms: twilioSmsProvider({ accountSid: 'AC00000000000000000000000000000000', authToken: 'sandbox-twilio-auth-token', baseUrl: 'http://127.0.0.1:1', from: 'Tamkeen' }),
    email: smtpEmailProvider({ smtpUrl: 'smtp://127.0.0.1:1', from: 'no-reply@tamkeen.test', domain: 'tamkeen.test' }),
    smsStatusCallback: undefined,
    logger: createLogger({ service: 'notifications-worker', destination: logs.destination }),
    prefix: service.queuePrefix,
    connection: service.blockingConnection,
  });
});
afterAll(async () => {
  await workers.close();
  await service.close();
});

describe('retries', () => {
  it('retries a temporary failure with backoff, then ends technical-failure after the last try', async () => {
    const send = await service.bearer('notifications:send');
    const template = await request(service.app).post('/notifications/v1/templates').set('Authorization', send).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } });
    const accepted = await request(service.app)
      .post('/notifications/v1/sms')
      .set('Authorization', send)
      .send({ phone_number: '0599123456', template_id: template.body.id, personalisation: { code: '1' } });
    const row = () => service.stores.knex('notifications').where({ id: accepted.body.id }).first<{ status: string; attempts: number; last_error: string }>();
    await waitFor(async () => (await row())!.status === 'technical-failure', { what: 'the last try to fail', timeoutMs: 10_000 });
    // Three tries in all (the test lanes allow three), each recorded, none handed over.
    expect(await row()).toMatchObject({ attempts: 3, last_error: expect.stringMatching(/could not be reached/) });
    expect(logs.lines.filter((l) => l.msg === 'sending failed; will retry')).toHaveLength(2);
    await waitFor(() => logs.lines.some((l) => l.msg === 'gave up sending: technical-failure' && l.notification === accepted.body.id), { what: 'the give-up log line' });
  });
});
