import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, openTestStores, type TestDatabase, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { freePort, logCapture, runBuiltFile, schemaViolations, startBuiltService, startTestIssuer, waitFor, type BuiltService, type TestIssuer } from '@tamkeen/testing';
import { migrations } from '../db/migrations/index.js';
import { paymentRepository } from '../payments/payment-repository.js';
import { newTestPayment } from '../payments/test-payment.js';
import { startReceiptRelay, type ReceiptRelay } from './receipt-relay.js';
import { NOTIFICATIONS_SCOPE, receiptSenderFromConfig } from './receipt-sender.js';
import { receiptText } from './receipt-text.js';
import { startTokenEndpoint, type TestTokenEndpoint } from './test-notifications.js';

// The real notifications service and its sending workers (their builds), with the real sandbox as
// the SMS provider and SMTP server, as under npm start: a receipt is followed to the citizen's inbox.
const built = (service: string, file: string) => fileURLToPath(new URL(`../../../${service}/dist/${file}`, import.meta.url));
const AUDIENCE = 'http://localhost:8080/notifications/v1';
const CLIENT_ID = 'tamkeen-payments';
const CLIENT_SECRET = 'payments-client-secret-for-tests-0002';
const TWILIO = { sid: 'AC22222222222222222222222222222222', token: 'payments-receipts-sandbox-token' };

let stores: TestStores;
let notificationsDb: TestDatabase;
let issuer: TestIssuer;
let tokenEndpoint: TestTokenEndpoint;
let sandbox: BuiltService;
let notifications: BuiltService;
let worker: BuiltService;
let relay: ReceiptRelay;
const queuePrefix = `payments-receipts-${randomUUID()}`;
const logs = logCapture();

beforeAll(async () => {
  stores = await openTestStores('payments receipts delivered', migrations);
  notificationsDb = await createTestDatabase('payments receipts notifications');
  await runBuiltFile(built('notifications', 'migrate.js'), [], { PATH: process.env.PATH ?? '', DATABASE_URL: notificationsDb.url, REDIS_URL: 'redis://127.0.0.1:6379' });
  issuer = await startTestIssuer({ audience: AUDIENCE });
  // The enterprise issuer's token endpoint as identity answers payments' machine client: a JWT for the notifications API.
  tokenEndpoint = await startTokenEndpoint({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    mint: (form) => issuer.sign({ scope: form.scope, organisation_id: 'tamkeen', client_id: CLIENT_ID, ...(form.resource ? { aud: form.resource } : {}) }),
  });
  const [sandboxPort, smtpPort, notificationsPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const notificationsUrl = `http://127.0.0.1:${notificationsPort}`;
  const common = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:6379', QUEUE_PREFIX: queuePrefix };
  sandbox = await startBuiltService({
    name: 'the sandbox',
    file: built('sandbox', 'main.js'),
    env: { ...common, HOST: '127.0.0.1', PORT: String(sandboxPort), SMTP_PORT: String(smtpPort), SMS_STEP_DELAY_MS: '0', TWILIO_ACCOUNT_SID: TWILIO.sid, TWILIO_AUTH_TOKEN: TWILIO.token },
    healthUrl: sandboxUrl,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  notifications = await startBuiltService({
    name: 'notifications',
    file: built('notifications', 'main.js'),
    env: {
      ...common,
      HOST: '127.0.0.1',
      PORT: String(notificationsPort),
      DATABASE_URL: notificationsDb.url,
      ACCESS_TOKEN_JWKS_URL: issuer.jwksUrl,
      ACCESS_TOKEN_ISSUER: issuer.issuer,
      ACCESS_TOKEN_AUDIENCE: AUDIENCE,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      SMS_STATUS_CALLBACK_URL: `${notificationsUrl}/notifications/v1/callbacks/twilio`,
    },
    healthUrl: notificationsUrl,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker = await startBuiltService({
    name: 'the notifications worker',
    file: built('notifications', 'worker.js'),
    env: {
      ...common,
      DATABASE_URL: notificationsDb.url,
      TWILIO_API_URL: sandboxUrl,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      SMS_SENDER: 'Tamkeen',
      SMS_STATUS_CALLBACK_URL: `${notificationsUrl}/notifications/v1/callbacks/twilio`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      EMAIL_FROM: 'Tamkeen <no-reply@tamkeen.local>',
      METRICS_PORT: String(metricsPort),
      SEND_BACKOFF_MS: '50',
    },
    healthUrl: `http://127.0.0.1:${metricsPort}`,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  relay = startReceiptRelay({
    knex: stores.knex,
    logger: createLogger({ service: 'payments', destination: logs.destination }),
    sender: receiptSenderFromConfig({ NOTIFICATIONS_URL: notificationsUrl, NOTIFICATIONS_AUDIENCE: AUDIENCE, PLATFORM_TOKEN_URL: tokenEndpoint.url, PLATFORM_CLIENT_ID: CLIENT_ID, PLATFORM_CLIENT_SECRET: CLIENT_SECRET }),
    pollMs: 20,
  });
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await Promise.all([worker, notifications, sandbox].map((s) => s?.stop()));
  await tokenEndpoint?.close();
  await issuer?.close();
  await notificationsDb?.drop();
  if (stores) {
    // This file's queue keys in the shared Redis.
    let cursor = '0';
    do {
      const [next, keys] = await stores.redis.scan(cursor, 'MATCH', `${queuePrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await stores.redis.del(...keys);
    } while (cursor !== '0');
    await stores.close();
  }
});

interface SandboxSms {
  to: string;
  body: string;
}
interface SandboxMail {
  to: string[];
  subject: string;
  text: string;
}

describe('a receipt, through the notifications service to the citizen', () => {
  it('arrives by SMS and by e-mail in the sandbox’s inboxes, with the receipt’s words, and the notifications are the ones recorded', async () => {
    const payments = paymentRepository(stores.knex);
    const phone = '+970599765432';
    const email = `citizen-${randomUUID().slice(0, 8)}@example.ps`;
    const { payment } = await payments.create(newTestPayment({ email, phoneNumber: phone, reference: 'PERMIT-2026-0042', description: 'تصريح عمل' }));
    for (const event of ['start', 'submit', 'succeed'] as const) expect((await payments.transition(payment.id, event)).outcome).toBe('applied');
    const paidAt = (await payments.events(payment.id)).at(-1)!.at;
    const words = receiptText({ ...payment, paidAt, language: 'ar+en' });

    const sms = await waitFor(
      async () => ((await (await fetch(`${sandbox.url}/inbox/api/sms?to=${encodeURIComponent(phone)}`)).json()) as { messages: SandboxSms[] }).messages[0],
      { timeoutMs: 15_000, what: 'the receipt in the sandbox’s SMS inbox' },
    );
    expect(sms.body).toBe(words.sms);
    const mail = await waitFor(
      async () => ((await (await fetch(`${sandbox.url}/inbox/api/email?to=${encodeURIComponent(email)}`)).json()) as { messages: SandboxMail[] }).messages[0],
      { timeoutMs: 15_000, what: 'the receipt in the sandbox’s e-mail inbox' },
    );
    expect(mail.subject).toBe(words.email.subject);
    expect(mail.text.trim()).toBe(words.email.body);

    const rows = await stores.knex('receipts').where({ payment_id: payment.id }).orderBy('channel');
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['sent', 'sent']);
    // Each recorded notification id is the one the service made, for payments' organisation, found by the payment's id.
    const token = await issuer.sign({ scope: NOTIFICATIONS_SCOPE, organisation_id: 'tamkeen', client_id: CLIENT_ID });
    const listed = await fetch(`${notifications.url}/notifications/v1/notifications?reference=${payment.id}`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await listed.json()) as { notifications: Array<{ id: string; type: string }> };
    expect(schemaViolations('notifications.yaml', '#/components/schemas/NotificationPage', page)).toEqual([]);
    expect(page.notifications.map((n) => `${n.type} ${n.id}`).sort()).toEqual(rows.map((r: { channel: string; notification_id: string }) => `${r.channel} ${r.notification_id}`).sort());
    // One token for all of it.
    expect(tokenEndpoint.requests).toHaveLength(1);
    expect(tokenEndpoint.requests[0]!.form.resource).toBe(AUDIENCE);
  });
});
