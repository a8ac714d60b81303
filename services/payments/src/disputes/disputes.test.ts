import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, schemaViolations, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { paymentRepository } from '../payments/payment-repository.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import { stripeSignatureHeader, verifyStripeSignature } from '../psp/psp-webhook.js';
import { PSP_WEBHOOK_PATH } from '../psp/psp-webhook-routes.js';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { payOnPage } from '../pay/test-pay.js';

const SECRET = 'whsec_payments_dispute_tests_0001';
const SUCCESS = '4242424242424242';
const DISPUTED = '4000000000000259';

let sandbox: RunningSandbox;
let service: TestPayments;
let psp: PaymentProvider;
let server: Server;
let write: string;
let read: string;

beforeAll(async () => {
  const port = await freePort();
  sandbox = await startSandbox({ env: { STRIPE_WEBHOOK_URL: `http://127.0.0.1:${port}${PSP_WEBHOOK_PATH}`, STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_WEBHOOK_RETRY_DELAYS_MS: '50,100,200,400,800' } });
  psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('psp webhooks and disputes', {
    psp,
    env: { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey, PSP_WEBHOOK_SECRET: SECRET },
  });
  // The service's clock is the real one here: the sandbox signs its events with the time now.
  Object.defineProperty(service.clock, 'now', { get: () => new Date(), set: () => undefined });
  server = service.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  write = await service.bearer('payments:write');
  read = await service.bearer('payments:read');
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await sandbox.stop();
  await service.close();
});

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0259', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);

const eventually = <T>(what: string, probe: () => Promise<T>, timeoutMs = 10_000) => waitFor(probe, { what, timeoutMs });

async function newPayment(): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', write).set('Idempotency-Key', randomUUID()).send(passport);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Pays on the hosted page, as a citizen does. */
async function pay(cardNumber: string): Promise<string> {
  const id = await newPayment();
  expect((await payOnPage(service.app, sandbox, id, cardNumber)).status).toBe(303);
  return id;
}

const paymentOf = (id: string) => paymentRepository(service.stores.knex).byId(id);
const disputeRowOf = (paymentId: string) => service.stores.knex('disputes').where({ payment_id: paymentId }).first();
const entries = (sourceType: string, sourceId: string) =>
  service.stores.knex('journal_entries as e').join('postings as p', 'p.entry_id', 'e.id').join('ledger_accounts as a', 'a.id', 'p.account_id').where({ 'e.source_type': sourceType, 'e.source_id': sourceId }).orderBy('p.id').select('a.code', 'p.amount');
const notices = (paymentId: string) => service.stores.knex('outbox').where({ payment_id: paymentId }).orderBy('seq').pluck('event_type');
const numbers = (rows: Array<{ code: string; amount: string | number }>) => rows.map((r) => ({ code: r.code, amount: Number(r.amount) }));

/** Posts a PSP event to the webhook, signed with `secret` at `timestamp` (now). */
function deliver(event: object, { secret = SECRET, timestamp }: { secret?: string; timestamp?: number } = {}) {
  const body = JSON.stringify(event);
  return request(service.app).post(PSP_WEBHOOK_PATH).set('Content-Type', 'application/json; charset=utf-8').set('Stripe-Signature', stripeSignatureHeader(secret, body, timestamp)).send(body);
}

/** A Stripe event carrying a dispute on the intent `pi`, as the PSP sends them. */
function disputeEvent(type: string, pi: string, disputeId: string, status: string, { id = `evt_${randomUUID().replaceAll('-', '')}`, fee = 1_500 } = {}) {
  return {
    id,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: {
        id: disputeId,
        object: 'dispute',
        amount: 15_000,
        currency: 'ils',
        charge: 'ch_test',
        created: Math.floor(Date.now() / 1000),
        payment_intent: pi,
        reason: 'fraudulent',
        status,
        evidence: {},
        evidence_details: { due_by: Math.floor(Date.now() / 1000) + 7 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
        is_charge_refundable: false,
        livemode: false,
        metadata: {},
        balance_transactions: [{ id: 'txn_test', object: 'balance_transaction', amount: -15_000, fee, net: -15_000 - fee, currency: 'ils', reporting_category: 'dispute', type: 'adjustment' }],
      },
    },
  };
}

describe("the PSP's signature (Stripe-Signature)", () => {
  const body = Buffer.from('{"id":"evt_1"}');
  it('verifies t=…,v1=… over the raw body, any of several v1 signatures, within 5 minutes', () => {
    const now = Date.now();
    const header = stripeSignatureHeader(SECRET, body, Math.floor(now / 1000));
    expect(verifyStripeSignature(SECRET, body, header, { now }).valid).toBe(true);
    const rotated = `${header.split(',')[0]},v1=${'0'.repeat(64)},${header.split(',')[1]},v0=ignored`;
    expect(verifyStripeSignature(SECRET, body, rotated, { now }).valid).toBe(true);
    expect(verifyStripeSignature(SECRET, Buffer.from('{"id":"evt_2"}'), header, { now }).valid).toBe(false);
    expect(verifyStripeSignature('whsec_another_secret_000', body, header, { now }).valid).toBe(false);
    expect(verifyStripeSignature(SECRET, body, header, { now: now + 301_000 }).valid).toBe(false);
    expect(verifyStripeSignature(SECRET, body, undefined, { now }).valid).toBe(false);
    expect(verifyStripeSignature(SECRET, body, 'v1=abc', { now }).valid).toBe(false);
  });
});

describe('a disputed payment', () => {
  it('gets its dispute from the webhook, with the withdrawal and the fee in the ledger, listed for the ministry', async () => {
    const paymentId = await pay(DISPUTED);
    expect((await paymentOf(paymentId))?.status).toBe('succeeded');
    const row = await eventually('the dispute', async () => (await disputeRowOf(paymentId)) ?? undefined);
    expect(row).toMatchObject({ status: 'needs_response', reason: 'fraudulent', currency: 'ILS', organisation_id: 'moi' });
    // The withdrawal: the amount held in disputes, and the fee an expense, both out of what the PSP owes us.
    const withdrawal = numbers(await eventually('the withdrawal', async () => ((await entries('dispute_withdrawal', row.id)).length ? entries('dispute_withdrawal', row.id) : undefined)));
    expect(withdrawal).toEqual([
      { code: 'disputes', amount: 15_000 },
      { code: 'psp_receivable', amount: -15_000 },
      { code: 'psp_fees', amount: 1_500 },
      { code: 'psp_receivable', amount: -1_500 },
    ]);
    expect(await notices(paymentId)).toContain('dispute.created');

    const list = await request(service.app).get('/payments/v1/disputes').set('Authorization', read);
    expect(list.status).toBe(200);
    expect(violations('DisputeList', list.body)).toEqual([]);
    expect(list.body.disputes[0]).toMatchObject({ id: row.id, payment_id: paymentId, amount: 15_000, status: 'needs_response' });
    const one = await request(service.app).get(`/payments/v1/disputes/${row.id}`).set('Authorization', read);
    expect(one.status).toBe(200);
    expect(violations('Dispute', one.body)).toEqual([]);
    // Another ministry's dispute is not found.
    expect((await request(service.app).get(`/payments/v1/disputes/${row.id}`).set('Authorization', await service.bearer('payments:read', 'mof'))).status).toBe(404);
    expect((await request(service.app).get('/payments/v1/disputes').set('Authorization', await service.bearer('payments:read', 'mof'))).body.disputes).toEqual([]);
  });

  it('is won with winning evidence: the amount reinstated once, the fee kept', async () => {
    const paymentId = await pay(DISPUTED);
    const row = await eventually('the dispute', async () => (await disputeRowOf(paymentId)) ?? undefined);
    // Evidence needs payments:write.
    expect((await request(service.app).post(`/payments/v1/disputes/${row.id}/evidence`).set('Authorization', read).send({ text: 'winning_evidence' })).status).toBe(403);
    const won = await request(service.app).post(`/payments/v1/disputes/${row.id}/evidence`).set('Authorization', write).send({ text: 'winning_evidence' });
    expect(won.status).toBe(200);
    expect(violations('Dispute', won.body)).toEqual([]);
    expect(won.body.status).toBe('won');
    expect(numbers(await entries('dispute_won', row.id))).toEqual([
      { code: 'psp_receivable', amount: 15_000 },
      { code: 'disputes', amount: -15_000 },
    ]);
    // The PSP's own events (updated, closed, funds_reinstated) come after and change nothing.
    await eventually('the closing events', async () => ((await service.stores.knex('psp_events').where({ type: 'charge.dispute.funds_reinstated' }).count<{ count: string }[]>('* as count'))[0]!.count !== '0' ? true : undefined));
    expect(await entries('dispute_won', row.id)).toHaveLength(2);
    expect(await entries('dispute_lost', row.id)).toHaveLength(0);
    expect((await notices(paymentId)).filter((n) => n.startsWith('dispute.'))).toEqual(['dispute.created', 'dispute.won']);
    // A decided dispute takes no more evidence.
    const again = await request(service.app).post(`/payments/v1/disputes/${row.id}/evidence`).set('Authorization', write).send({ text: 'more evidence' });
    expect(again.status).toBe(409);
  });

  it('is lost with losing evidence: the amount charged to the ministry', async () => {
    const paymentId = await pay(DISPUTED);
    const row = await eventually('the dispute', async () => (await disputeRowOf(paymentId)) ?? undefined);
    const lost = await request(service.app).post(`/payments/v1/disputes/${row.id}/evidence`).set('Authorization', write).send({ text: 'losing_evidence' });
    expect(lost.status).toBe(200);
    expect(lost.body.status).toBe('lost');
    expect(numbers(await entries('dispute_lost', row.id))).toEqual([
      { code: 'ministry_revenue:moi', amount: 15_000 },
      { code: 'disputes', amount: -15_000 },
    ]);
    expect(await entries('dispute_won', row.id)).toHaveLength(0);
    expect((await notices(paymentId)).filter((n) => n.startsWith('dispute.'))).toEqual(['dispute.created', 'dispute.lost']);
  });

  it('refuses evidence that is not text (400), and an unknown dispute (404)', async () => {
    expect((await request(service.app).post(`/payments/v1/disputes/${randomUUID()}/evidence`).set('Authorization', write).send({ text: 'x' })).status).toBe(404);
    const paymentId = await pay(DISPUTED);
    const row = await eventually('the dispute', async () => (await disputeRowOf(paymentId)) ?? undefined);
    expect((await request(service.app).post(`/payments/v1/disputes/${row.id}/evidence`).set('Authorization', write).send({ text: '' })).status).toBe(400);
  });
});

describe("the PSP's webhook", () => {
  it('refuses a forged or stale signature with a 400 and records nothing', async () => {
    const paymentId = await pay(SUCCESS);
    const pi = (await paymentOf(paymentId))!.pspPaymentIntentId!;
    const event = disputeEvent('charge.dispute.created', pi, 'du_forged_0001', 'needs_response');
    const forged = await deliver(event, { secret: 'whsec_not_the_right_one_000' });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('signature_invalid');
    const stale = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    const unsigned = await request(service.app).post(PSP_WEBHOOK_PATH).set('Content-Type', 'application/json').send(JSON.stringify(event));
    expect(unsigned.status).toBe(400);
    expect(await service.stores.knex('psp_events').where({ id: event.id }).first()).toBeUndefined();
    expect(await disputeRowOf(paymentId)).toBeUndefined();
  });

  it('does one thing with an event delivered twice', async () => {
    const paymentId = await pay(SUCCESS);
    const pi = (await paymentOf(paymentId))!.pspPaymentIntentId!;
    const event = disputeEvent('charge.dispute.created', pi, 'du_twice_0001', 'needs_response');
    const [first, second] = await Promise.all([deliver(event), deliver(event)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await deliver(event);
    expect(third.body).toMatchObject({ received: true, duplicate: true });
    const rows = await service.stores.knex('disputes').where({ payment_id: paymentId });
    expect(rows).toHaveLength(1);
    expect(await entries('dispute_withdrawal', rows[0].id)).toHaveLength(4);
    expect((await notices(paymentId)).filter((n) => n === 'dispute.created')).toHaveLength(1);
    expect(await service.stores.knex('dispute_events').where({ dispute_id: rows[0].id })).toHaveLength(1);
  });

  it('ends a dispute right whatever the order: closed (lost) before created', async () => {
    const paymentId = await pay(SUCCESS);
    const pi = (await paymentOf(paymentId))!.pspPaymentIntentId!;
    const disputeId = 'du_reordered_0001';
    expect((await deliver(disputeEvent('charge.dispute.closed', pi, disputeId, 'lost'))).status).toBe(200);
    expect((await deliver(disputeEvent('charge.dispute.updated', pi, disputeId, 'under_review'))).status).toBe(200);
    expect((await deliver(disputeEvent('charge.dispute.created', pi, disputeId, 'needs_response'))).status).toBe(200);
    expect((await deliver(disputeEvent('charge.dispute.funds_withdrawn', pi, disputeId, 'needs_response'))).status).toBe(200);
    const row = await disputeRowOf(paymentId);
    expect(row.status).toBe('lost');
    expect(await entries('dispute_withdrawal', row.id)).toHaveLength(4);
    expect(numbers(await entries('dispute_lost', row.id))).toEqual([
      { code: 'ministry_revenue:moi', amount: 15_000 },
      { code: 'disputes', amount: -15_000 },
    ]);
    expect((await notices(paymentId)).filter((n) => n.startsWith('dispute.'))).toEqual(['dispute.created', 'dispute.lost']);
    // The history is append-only.
    await expect(service.stores.knex('dispute_events').where({ dispute_id: row.id }).delete()).rejects.toThrow(/append-only/);
  });

  it('never moves a payment backwards: payment_failed after succeeded leaves it succeeded', async () => {
    const paymentId = await pay(SUCCESS);
    const pi = (await paymentOf(paymentId))!.pspPaymentIntentId!;
    const late = {
      id: `evt_late_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      created: Math.floor(Date.now() / 1000) - 60,
      type: 'payment_intent.payment_failed',
      data: { object: { id: pi, object: 'payment_intent', status: 'requires_payment_method', metadata: { payment_id: paymentId } } },
    };
    expect((await deliver(late)).status).toBe(200);
    expect((await paymentOf(paymentId))?.status).toBe('succeeded');
    expect(await entries('payment', paymentId)).toHaveLength(2);
  });

  it('settles a payment left submitted when its confirmation was lost (payment_intent.succeeded)', async () => {
    const paymentId = await newPayment();
    const payments = paymentRepository(service.stores.knex);
    await payments.transition(paymentId, 'start');
    const intent = await psp.createIntent({ paymentId, amount: { amount: 15_000, currency: 'ILS' }, description: passport.description });
    await payments.transition(paymentId, 'submit', { data: { psp_payment_intent_id: intent.intentId }, changes: { psp_payment_intent_id: intent.intentId } });
    // The card is charged at the PSP, but the page never hears of it (an outage): only the webhook tells.
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: 'http://localhost:8080/pay/x/return' });
    expect(outcome.kind).toBe('succeeded');
    expect((await paymentOf(paymentId))?.status).toBe('submitted');
    const settled = await eventually('the payment settled by the webhook', async () => ((await paymentOf(paymentId))?.status === 'succeeded' ? true : undefined));
    expect(settled).toBe(true);
    expect(numbers(await entries('payment', paymentId))).toEqual([
      { code: 'psp_receivable', amount: 15_000 },
      { code: 'ministry_revenue:moi', amount: -15_000 },
    ]);
  });

  it('acknowledges events it does not follow, and events of intents that are not ours', async () => {
    const other = { id: `evt_${randomUUID().replaceAll('-', '')}`, object: 'event', created: Math.floor(Date.now() / 1000), type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } };
    expect((await deliver(other)).status).toBe(200);
    const stranger = disputeEvent('charge.dispute.created', 'pi_not_ours', 'du_not_ours', 'needs_response');
    expect((await deliver(stranger)).status).toBe(200);
    expect(await service.stores.knex('disputes').where({ psp_dispute_id: 'du_not_ours' }).first()).toBeUndefined();
  });
});
