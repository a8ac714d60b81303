import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { twilioSmsProvider } from '../providers/twilio-sms.js';
import { startSandbox, type RunningSandbox } from '../test-sandbox.js';
import { testNotifications, type TestNotifications } from '../test-app.js';
import { smtpEmailProvider } from './email-provider.js';
import { requeueUnsent } from './recovery-sweep.js';
import { startWorkers, type RunningWorkers } from './workers.js';

let service: TestNotifications;
let sandbox: RunningSandbox;
let send: string;
let templateId: string;
const running: RunningWorkers[] = [];

beforeAll(async () => {
  [service, sandbox] = await Promise.all([testNotifications('notifications crash recovery'), startSandbox()]);
  send = await service.bearer('notifications:send');
  templateId = (
    await request(service.app).post('/notifications/v1/templates').set('Authorization', send).send({ name: 'c', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } })
  ).body.id;
});
afterAll(async () => {
  await Promise.all(running.map((w) => w.close()));
  await Promise.all([sandbox.stop(), service.close()]);
});

const sms = () => twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: sandbox.url, from: 'Tamkeen' });

function workersNow(): void {
  running.push(
    startWorkers({
      knex: service.stores.knex,
      sms: sms(),
      email: smtpEmailProvider({ smtpUrl: `smtp://127.0.0.1:${sandbox.smtpPort}`, from: 'no-reply@tamkeen.test', domain: 'tamkeen.test' }),
      smsStatusCallback: undefined,
      logger: createLogger({ service: 'notifications-worker', destination: logCapture().destination }),
      prefix: service.queuePrefix,
      connection: service.blockingConnection,
    }),
  );
}

async function inbox(to: string): Promise<unknown[]> {
  return ((await (await fetch(`${sandbox.url}/inbox/api/sms?to=${encodeURIComponent(to)}`)).json()) as { messages: unknown[] }).messages;
}

const row = async (id: string) => (await service.stores.knex('notifications').where({ id }).first<{ status: string; provider_reference: string | null }>())!;

describe('nothing is lost, nothing is sent twice', () => {
  it('delivers what the API accepted although Redis lost it before any worker ran', async () => {
    const accepted = await request(service.app).post('/notifications/v1/sms').set('Authorization', send).send({ phone_number: '0599888001', template_id: templateId, personalisation: { code: '1' } });
    await service.loseQueuedJobs(); // Redis restarted empty
    expect(await service.lanes.depth('bulk')).toBe(0);

    await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 0 });
    workersNow();
    await waitFor(async () => (await row(accepted.body.id)).provider_reference, { what: 'the notification to be handed over' });
    expect(await inbox('+970599888001')).toHaveLength(1);
  });

  it('sends once when a worker died after the provider took the message but before it was recorded', async () => {
    const accepted = await request(service.app).post('/notifications/v1/sms').set('Authorization', send).send({ phone_number: '0599888002', template_id: templateId, personalisation: { code: '2' } });
    await waitFor(async () => (await row(accepted.body.id)).provider_reference, { what: 'the first delivery' });
    const firstSid = (await row(accepted.body.id)).provider_reference;
    // Rewind to the crash: the provider has the message, our row still says sending with no provider id.
    await service.stores.knex('notifications').where({ id: accepted.body.id }).update({ status: 'sending', provider_reference: null });
    const job = await service.stores.redis.keys(`${service.queuePrefix}:notifications-bulk:${accepted.body.id}`);
    if (job.length) await service.stores.redis.del(...job);
    await service.stores.redis.zrem(`${service.queuePrefix}:notifications-bulk:completed`, accepted.body.id);

    await requeueUnsent(service.stores.knex, service.lanes, { olderThanMs: 0 });
    await waitFor(async () => (await row(accepted.body.id)).provider_reference, { what: 'the repeat to be recorded' });
    // The provider recognised the repeat by the notification id: the same message, sent once.
    expect((await row(accepted.body.id)).provider_reference).toBe(firstSid);
    expect(await inbox('+970599888002')).toHaveLength(1);
  });
});
