import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture, waitFor } from '@tamkeen/testing';
import { migrations } from '../db/migrations/index.js';
import { machineTokens } from '../machine-token.js';
import { paymentRepository, type NewPayment, type Payment, type PaymentRepository } from '../payments/payment-repository.js';
import { newTestPayment } from '../payments/test-payment.js';
import { queueReceipt } from './receipt-queue.js';
import { startReceiptRelay, type ReceiptRelay, type ReceiptRelayOptions } from './receipt-relay.js';
import { notificationsReceiptSender, NOTIFICATIONS_SCOPE, receiptSenderFromConfig, type ReceiptSender } from './receipt-sender.js';
import { receiptText } from './receipt-text.js';
import { startNotificationsApi, startTokenEndpoint, type TestNotificationsApi, type TestTokenEndpoint } from './test-notifications.js';

const CLIENT_ID = 'tamkeen-payments';
const CLIENT_SECRET = 'payments-client-secret-for-tests-0001';
const AUDIENCE = 'http://localhost:8080/notifications/v1';

let db: TestDatabase;
let payments: PaymentRepository;
let tokenEndpoint: TestTokenEndpoint;
let api: TestNotificationsApi;

interface ReceiptRow {
  id: string;
  payment_id: string;
  channel: 'sms' | 'email';
  address: string;
  language: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  notification_id: string | null;
  last_error: string | null;
  created_at: Date;
}
const receiptsOf = (paymentId: string): Promise<ReceiptRow[]> => db.knex('receipts').where({ payment_id: paymentId }).orderBy('channel');

beforeAll(async () => {
  db = await createTestDatabase('payments receipts', migrations);
  payments = paymentRepository(db.knex);
  tokenEndpoint = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  api = await startNotificationsApi(tokenEndpoint);
});
afterAll(async () => {
  await api.close();
  await tokenEndpoint.close();
  await db.drop();
});

const relays: ReceiptRelay[] = [];
let logs: ReturnType<typeof logCapture>;
beforeEach(async () => {
  logs = logCapture();
  // Each test starts with nothing due, so that a relay sees only its own payments.
  await db.knex('receipts').where({ status: 'pending' }).update({ status: 'skipped' });
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  api.nextSends.length = 0;
});

/** A sender as main.ts makes it from the configuration: its own token cache and template ids, as a new instance would have. */
function sender(): ReceiptSender {
  const made = receiptSenderFromConfig({ NOTIFICATIONS_URL: api.url, NOTIFICATIONS_AUDIENCE: AUDIENCE, PLATFORM_TOKEN_URL: tokenEndpoint.url, PLATFORM_CLIENT_ID: CLIENT_ID, PLATFORM_CLIENT_SECRET: CLIENT_SECRET });
  if (!made) throw new Error('the configuration should make a sender');
  return made;
}

/** A relay that polls every 10 ms with short backoffs, stopped after its test. */
function relay(options: Partial<ReceiptRelayOptions> = {}): ReceiptRelay {
  const started = startReceiptRelay({ knex: db.knex, logger: createLogger({ service: 'payments', destination: logs.destination }), sender: sender(), pollMs: 10, backoffMs: 20, maxBackoffMs: 80, timeoutMs: 2_000, ...options });
  relays.push(started);
  return started;
}
/** A relay the test drives round by round: stopped at once (its first round, if it began, finished), runOnce still works. */
async function manualRelay(options: Partial<ReceiptRelayOptions> = {}): Promise<ReceiptRelay> {
  const started = relay(options);
  await started.stop();
  return started;
}

/** A payment the citizen paid: created with these contacts, started, submitted, succeeded. */
async function succeeded(overrides: Partial<NewPayment> = {}): Promise<Payment> {
  const { payment } = await payments.create(newTestPayment({ email: 'citizen@example.ps', phoneNumber: '+970599123456', ...overrides }));
  for (const event of ['start', 'submit'] as const) await payments.transition(payment.id, event);
  const moved = await payments.transition(payment.id, 'succeed');
  if (moved.outcome !== 'applied') throw new Error(`the payment did not succeed: ${moved.outcome}`);
  return moved.payment;
}

/** Makes a payment's pending receipts due now, as if their backoff (or a dead relay's lease) had run out. */
const makeDue = (paymentId: string) => db.knex('receipts').where({ payment_id: paymentId, status: 'pending' }).update({ next_attempt_at: db.knex.fn.now() });
const sendsFor = (receiptId: string) => api.seen.filter((r) => r.method === 'POST' && (r.path === '/sms' || r.path === '/email') && r.headers['idempotency-key'] === receiptId);

describe('receipts', () => {
  it('are queued when a payment succeeds, one per contact, and sent by SMS and e-mail with the receipt’s words, its id as Idempotency-Key', async () => {
    const payment = await succeeded();
    const queued = await receiptsOf(payment.id);
    expect(queued.map((r) => [r.channel, r.address, r.status, r.language])).toEqual([
      ['email', 'citizen@example.ps', 'pending', 'ar+en'],
      ['sms', '+970599123456', 'pending', 'ar+en'],
    ]);
    // Written in the transaction that moved the payment: its date is the success's.
    const [success] = (await payments.events(payment.id)).filter((e) => e.toStatus === 'succeeded');
    expect(queued[0]!.created_at.getTime()).toBe(success!.at.getTime());

    relay();
    const sent = await waitFor(async () => {
      const rows = await receiptsOf(payment.id);
      return rows.every((r) => r.status === 'sent') && rows;
    });
    const words = receiptText({ ...payment, paidAt: success!.at, language: 'ar+en' });
    const [email, sms] = sent;
    const smsSend = sendsFor(sms!.id);
    const emailSend = sendsFor(email!.id);
    expect(smsSend).toHaveLength(1);
    expect(emailSend).toHaveLength(1);
    for (const request of [...smsSend, ...emailSend]) {
      expect(request.violations).toEqual([]);
      expect(request.headers.authorization).toMatch(/^Bearer at-/);
    }
    const smsTemplate = api.templates.find((t) => t.name === 'tamkeen-payment-receipt-sms')!;
    const emailTemplate = api.templates.find((t) => t.name === 'tamkeen-payment-receipt-email')!;
    expect(smsSend[0]!.body).toEqual({ phone_number: '+970599123456', template_id: smsTemplate.id, reference: payment.id, language: 'ar', priority: 'normal', personalisation: { receipt: words.sms } });
    expect(emailSend[0]!.body).toEqual({ email_address: 'citizen@example.ps', template_id: emailTemplate.id, reference: payment.id, language: 'ar', priority: 'normal', personalisation: { subject: words.email.subject, receipt: words.email.body } });
    expect(words.sms).toContain('PASSPORT-2026-0001');
    expect(words.email.body).toContain(payment.id);
    // The notification ids it answered are kept.
    expect(sms!.notification_id).toBe(api.notifications.find((n) => n.key === sms!.id)!.id);
    expect(email!.notification_id).toBe(api.notifications.find((n) => n.key === email!.id)!.id);
    // Templates were made once, valid by the spec.
    expect(api.seen.filter((r) => r.method === 'POST' && r.path === '/templates').map((r) => r.violations)).toEqual([[], []]);
  });

  it('are not queued for a payment without a contact, nor for one that does not succeed', async () => {
    const none = await succeeded({ email: null, phoneNumber: null });
    expect(await receiptsOf(none.id)).toEqual([]);
    const onlyEmail = await succeeded({ phoneNumber: null });
    expect((await receiptsOf(onlyEmail.id)).map((r) => r.channel)).toEqual(['email']);
    const { payment: failing } = await payments.create(newTestPayment({ email: 'citizen@example.ps' }));
    for (const event of ['start', 'submit', 'fail'] as const) await payments.transition(failing.id, event);
    expect(await receiptsOf(failing.id)).toEqual([]);
  });

  it('are queued once per channel when a success is applied twice at once, and the queue itself adds nothing the second time', async () => {
    const { payment } = await payments.create(newTestPayment({ email: 'citizen@example.ps' }));
    for (const event of ['start', 'submit'] as const) await payments.transition(payment.id, event);
    const results = await Promise.all(Array.from({ length: 4 }, () => payments.transition(payment.id, 'succeed')));
    expect(results.map((r) => r.outcome).sort()).toEqual(['already', 'already', 'already', 'applied']);
    expect((await receiptsOf(payment.id)).map((r) => r.channel)).toEqual(['email', 'sms']);
    const succeededPayment = (await payments.byId(payment.id))!;
    await db.knex.transaction((trx) => queueReceipt(trx, succeededPayment));
    expect(await receiptsOf(payment.id)).toHaveLength(2);
  });

  it('are sent once each by two relays working at once (two instances of the service)', async () => {
    const paid = await Promise.all(Array.from({ length: 6 }, () => succeeded()));
    const [a, b] = [await manualRelay(), await manualRelay()];
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    const rows = (await Promise.all(paid.map((p) => receiptsOf(p.id)))).flat();
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      expect(row.status).toBe('sent');
      expect(sendsFor(row.id)).toHaveLength(1);
    }
  });

  it('wait while the notifications service is down, retried with backoff, and are sent when it is back, nothing lost across a relay restart', async () => {
    const payment = await succeeded({ email: null });
    await api.down();
    try {
      const first = await manualRelay({ backoffMs: 10_000, maxBackoffMs: 60_000 });
      await first.runOnce();
      const [waiting] = await receiptsOf(payment.id);
      expect(waiting).toMatchObject({ status: 'pending', attempts: 1, notification_id: null });
      expect(waiting!.last_error).toMatch(/did not answer/);
      // The first retry waits 5–10 s (10 s with jitter), the next 10–20 s: nothing is claimed before.
      const wait = waiting!.next_attempt_at.getTime() - Date.now();
      expect(wait).toBeGreaterThan(4_000);
      expect(wait).toBeLessThanOrEqual(10_000);
      expect(await first.runOnce()).toBe(0);
      await makeDue(payment.id);
      await first.runOnce();
      const [again] = await receiptsOf(payment.id);
      expect(again!.attempts).toBe(2);
      expect(again!.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(9_000);
      // The service restarts: a new relay, with nothing of the old one's but the database.
      await first.stop();
    } finally {
      await api.up();
    }
    await makeDue(payment.id);
    const second = await manualRelay();
    await second.runOnce();
    const [sent] = await receiptsOf(payment.id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(sendsFor(sent!.id)).toHaveLength(1);
  });

  it('are never sent twice when the relay dies after the notifications service accepted one: the resend has the same Idempotency-Key', async () => {
    const payment = await succeeded({ email: null });
    api.nextSends.push('drop');
    const first = await manualRelay();
    await first.runOnce();
    const [lost] = await receiptsOf(payment.id);
    expect(lost).toMatchObject({ status: 'pending', attempts: 1 });
    await first.stop();
    // The answer was lost, the notification exists: a new relay sends again once its lease (here, its backoff) is over.
    await makeDue(payment.id);
    const second = await manualRelay();
    await second.runOnce();
    const [sent] = await receiptsOf(payment.id);
    const accepted = api.notifications.filter((n) => n.key === sent!.id);
    expect(accepted).toHaveLength(1);
    expect(sendsFor(sent!.id)).toHaveLength(2);
    expect(sent).toMatchObject({ status: 'sent', notification_id: accepted[0]!.id });
  });

  it('take the notification already made when the words changed since a send that got through (422 idempotency_key_reused)', async () => {
    const payment = await succeeded({ email: null });
    api.nextSends.push('drop');
    await (await manualRelay()).runOnce();
    const [lost] = await receiptsOf(payment.id);
    // The ministry's name became known in between: the resend's words differ.
    await makeDue(payment.id);
    const named = await manualRelay({ ministryName: async () => ({ ar: 'وزارة الداخلية', en: 'Ministry of Interior' }) });
    await named.runOnce();
    const [sent] = await receiptsOf(payment.id);
    expect(sent).toMatchObject({ status: 'sent', notification_id: api.notifications.find((n) => n.key === lost!.id)!.id });
  });

  it('end failed at once on a 400 that will not change (a number notifications refuses), not retried; the other channel is still sent', async () => {
    const payment = await succeeded({ phoneNumber: '+970599000001' });
    api.refusedNumbers.add('+970599000001');
    const manual = await manualRelay();
    await manual.runOnce();
    const [email, sms] = await receiptsOf(payment.id);
    expect(email).toMatchObject({ status: 'sent' });
    expect(sms).toMatchObject({ status: 'failed', attempts: 1, notification_id: null });
    expect(sms!.last_error).toBe('/sms answered 400 invalid_request: phone_number is not a mobile number');
    await db.knex('receipts').where({ id: sms!.id }).update({ next_attempt_at: db.knex.fn.now() });
    expect(await manual.runOnce()).toBe(0);
    expect(sendsFor(sms!.id)).toHaveLength(1);
    expect(logs.lines.some((l) => l.msg === 'receipt refused by the notifications service; failed' && l.receipt === sms!.id)).toBe(true);
  });

  it('are dead-lettered (failed) after the last attempt when notifications keeps failing', async () => {
    const payment = await succeeded({ email: null });
    api.nextSends.push(503, 503, 503);
    const manual = await manualRelay({ maxAttempts: 3 });
    for (let round = 0; round < 3; round++) {
      await makeDue(payment.id);
      await manual.runOnce();
    }
    const [row] = await receiptsOf(payment.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: '/sms answered 503 unavailable' });
    expect(logs.lines.some((l) => l.msg === 'receipt not sent; attempts exhausted, dead-lettered')).toBe(true);
  });

  it('wait at least what a 429 asks (Retry-After), more than their own backoff', async () => {
    const payment = await succeeded({ email: null });
    api.nextSends.push(429);
    api.retryAfter = 30;
    await (await manualRelay()).runOnce();
    const [row] = await receiptsOf(payment.id);
    expect(row!.status).toBe('pending');
    expect(row!.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(28_000);
  });

  it('are skipped, with one warning, when NOTIFICATIONS_URL is unset: nothing could send them', async () => {
    const payment = await succeeded();
    const unconfigured = relay({ sender: undefined });
    await waitFor(async () => (await receiptsOf(payment.id)).every((r) => r.status === 'skipped'));
    await unconfigured.runOnce();
    expect((await receiptsOf(payment.id)).map((r) => r.last_error)).toEqual(['receipts are not sent: NOTIFICATIONS_URL is not set', 'receipts are not sent: NOTIFICATIONS_URL is not set']);
    expect(logs.lines.filter((l) => l.msg === 'receipts are not sent: NOTIFICATIONS_URL is not set')).toHaveLength(1);
    expect(receiptSenderFromConfig({ NOTIFICATIONS_URL: undefined, NOTIFICATIONS_AUDIENCE: undefined, PLATFORM_TOKEN_URL: undefined, PLATFORM_CLIENT_ID: undefined, PLATFORM_CLIENT_SECRET: undefined })).toBeUndefined();
  });
});

describe('payments’ access token for notifications', () => {
  it('is asked for once by client credentials (client_secret_basic, scope, resource) and reused for every call', async () => {
    const before = tokenEndpoint.requests.length;
    const paid = await Promise.all(Array.from({ length: 3 }, () => succeeded()));
    const seenBefore = api.seen.length;
    const manual = await manualRelay();
    await manual.runOnce();
    for (const p of paid) expect((await receiptsOf(p.id)).map((r) => r.status)).toEqual(['sent', 'sent']);
    const asked = tokenEndpoint.requests.slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.form).toEqual({ grant_type: 'client_credentials', scope: NOTIFICATIONS_SCOPE, resource: AUDIENCE });
    expect(asked[0]!.authorization).toBe(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
    // Templates looked up (found: not made again by this new instance) and six sends, all with that one token.
    const calls = api.seen.slice(seenBefore);
    expect(calls.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /templates', 'GET /templates', ...Array(3).fill('POST /email'), ...Array(3).fill('POST /sms')]);
    expect(new Set(calls.map((r) => r.headers.authorization)).size).toBe(1);
    // The secret is never logged.
    expect(logs.text()).not.toContain(CLIENT_SECRET);
  });

  it('is asked for again when notifications refuses it (401), and the send goes through with the new one', async () => {
    const manual = await manualRelay();
    const payment = await succeeded({ email: null });
    const before = tokenEndpoint.requests.length;
    tokenEndpoint.issued.clear();
    await manual.runOnce();
    expect((await receiptsOf(payment.id))[0]).toMatchObject({ status: 'sent' });
    expect(tokenEndpoint.requests.length - before).toBe(1);
  });

  it('is kept until a minute before it expires, then renewed; concurrent callers share one request', async () => {
    const clock = { now: Date.now() };
    const before = tokenEndpoint.requests.length;
    const tokens = machineTokens({ tokenUrl: tokenEndpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: NOTIFICATIONS_SCOPE, now: () => clock.now });
    const [a, b, c] = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    expect(new Set([a, b, c]).size).toBe(1);
    clock.now += (tokenEndpoint.expiresIn - 61) * 1000;
    expect(await tokens.token()).toBe(a);
    clock.now += 2_000;
    const renewed = await tokens.token();
    expect(renewed).not.toBe(a);
    expect(tokenEndpoint.requests.length - before).toBe(2);
    // Without NOTIFICATIONS_AUDIENCE no resource is asked for.
    expect(tokenEndpoint.requests.at(-1)!.form).toEqual({ grant_type: 'client_credentials', scope: NOTIFICATIONS_SCOPE });
  });

  it('is refused with a plain error that never carries the secret', async () => {
    const tokens = machineTokens({ tokenUrl: tokenEndpoint.url, clientId: CLIENT_ID, clientSecret: 'wrong-secret-value', scope: NOTIFICATIONS_SCOPE });
    await expect(tokens.token()).rejects.toThrow('the token endpoint answered 401 invalid_client');
    const send = notificationsReceiptSender({ notificationsUrl: api.url, tokens });
    const outcome = await send.send({ id: '00000000-0000-4000-8000-000000000001', paymentId: '00000000-0000-4000-8000-000000000002', channel: 'sms', address: '+970599123456', language: 'ar', text: { sms: 'x', email: { subject: 'x', body: 'x' } } });
    expect(outcome).toEqual({ kind: 'retry', reason: 'no access token: the token endpoint answered 401 invalid_client' });
  });
});
