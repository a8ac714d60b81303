import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, schemaViolations, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { balanceOf, findEntry, trialBalance } from '../ledger/ledger.js';
import { paymentRepository, type PaymentRepository } from '../payments/payment-repository.js';
import { settlePayment } from '../payments/payment-settlement.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import { stripeSignatureHeader } from '../psp/psp-webhook.js';
import { PSP_WEBHOOK_PATH } from '../psp/psp-webhook-routes.js';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { payoutRepository } from './payout-repository.js';
import { payOnPage } from '../pay/test-pay.js';

const SECRET = 'whsec_payments_payout_tests_0001';
const SUCCESS = '4242424242424242';
const DISPUTED = '4000000000000259';
const DAY = 86_400_000;
/** The sandbox's documented fee on ₪150.00: 2.9 % (435 agorot) + ₪1.10. */
const FEE = 545;
const NET = 15_000 - FEE;

let sandbox: RunningSandbox;
let service: TestPayments;
let psp: PaymentProvider;
let payments: PaymentRepository;
let server: Server;
let write: string;

beforeAll(async () => {
  const port = await freePort();
  sandbox = await startSandbox({ env: { STRIPE_WEBHOOK_URL: `http://127.0.0.1:${port}${PSP_WEBHOOK_PATH}`, STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_WEBHOOK_RETRY_DELAYS_MS: '50,100,200,400,800' } });
  psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('psp fees and payouts', {
    psp,
    env: { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey, PSP_WEBHOOK_SECRET: SECRET },
  });
  // The service's clock is the real one here: the sandbox signs its events with the time now.
  Object.defineProperty(service.clock, 'now', { get: () => new Date(), set: () => undefined });
  payments = paymentRepository(service.stores.knex);
  server = service.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  write = await service.bearer('payments:write');
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await sandbox.stop();
  await service.close();
});

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0545', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);
const knex = () => service.stores.knex;
const count = async (query: ReturnType<TestPayments['stores']['knex']>) => Number((await query.count<{ n: string }[]>('* as n'))[0]!.n);
const receivable = () => balanceOf(knex(), 'psp_receivable', 'ILS');

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

const shown = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', write)).body;
const feeEntries = (id: string) => knex()('journal_entries').where({ source_type: 'psp_fee' }).whereLike('description', `%(${id})`);

/** The sandbox's events of a type (Stripe's objects), newest first. */
async function sandboxEvents(type: string): Promise<Array<{ id: string; type: string; created: number; data: { object: Record<string, unknown> } }>> {
  const response = await fetch(`${sandbox.url}/v1/events?type=${type}&limit=100`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } });
  return ((await response.json()) as { data: Array<{ id: string; type: string; created: number; data: { object: Record<string, unknown> } }> }).data;
}

/** Posts a PSP event to the webhook, signed with the endpoint's secret now. */
function deliver(event: object) {
  const body = JSON.stringify(event);
  return request(service.app).post(PSP_WEBHOOK_PATH).set('Content-Type', 'application/json; charset=utf-8').set('Stripe-Signature', stripeSignatureHeader(SECRET, body)).send(body);
}

/** A payout event as the PSP sends them, for `payout` (a Stripe Payout) in `status`. */
function payoutEvent(type: string, payout: Record<string, unknown>, changes: Record<string, unknown> = {}) {
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: { ...payout, ...changes } },
  };
}

let paidByPage: string;
let paidByWebhook: string;

describe('the PSP\'s fee on a payment', () => {
  it('is shown on the payment as the sandbox documents it, and posted once though the page and the webhook both settle it', async () => {
    paidByPage = await pay(SUCCESS);
    const payment = await shown(paidByPage);
    expect(payment).toMatchObject({ status: 'succeeded', amount: 15_000, fee: FEE, net_amount: NET });
    expect(violations('Payment', payment)).toEqual([]);

    const row = await knex()('payments').where({ id: paidByPage }).first();
    expect(row).toMatchObject({ psp_fee: String(FEE), psp_balance_transaction_id: expect.stringMatching(/^txn_/) });
    expect((await findEntry(knex(), 'psp_fee', row.psp_balance_transaction_id))?.postings).toEqual([
      { accountCode: 'psp_fees', amount: FEE, currency: 'ILS' },
      { accountCode: 'psp_receivable', amount: -FEE, currency: 'ILS' },
    ]);
    // The ministry's notice of the success carries the fee too.
    const notice = await knex()('outbox').where({ payment_id: paidByPage, event_type: 'payment.succeeded' }).first();
    expect(notice.payload.payment).toMatchObject({ fee: FEE, net_amount: NET });

    // The PSP's payment_intent.succeeded reaches the webhook, which finds the payment settled.
    const intent = row.psp_payment_intent_id as string;
    const event = (await sandboxEvents('payment_intent.succeeded')).find((e) => e.data.object.id === intent)!;
    await eventually('the webhook to handle payment_intent.succeeded', async () => (await knex()('psp_events').where({ id: event.id }).first()) as unknown);
    expect(await count(feeEntries(paidByPage))).toBe(1);
    expect(await count(knex()('payment_events').where({ payment_id: paidByPage, event: 'succeed' }))).toBe(1);
  });

  it('is posted by the webhook when it settles a payment whose confirmation answer was lost, and not again by the page', async () => {
    paidByWebhook = await newPayment();
    await payments.transition(paidByWebhook, 'start');
    const intent = await psp.createIntent({ paymentId: paidByWebhook, amount: { amount: 15_000, currency: 'ILS' }, description: passport.description });
    await payments.transition(paidByWebhook, 'submit', { changes: { psp_payment_intent_id: intent.intentId } });
    // Charged at the PSP, but the page never hears the answer (a timeout, a closed tab).
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: 'http://localhost/return' });
    expect(outcome).toMatchObject({ kind: 'succeeded', fee: { fee: FEE, net: NET } });

    await eventually('the webhook to settle the payment', async () => (await shown(paidByWebhook)).status === 'succeeded');
    expect(await shown(paidByWebhook)).toMatchObject({ fee: FEE, net_amount: NET });
    // The page's own answer, come late: the payment is already there, nothing more is posted.
    const late = await settlePayment(payments, (await payments.byId(paidByWebhook))!, outcome);
    expect(late).toMatchObject({ status: 'succeeded', pspFee: FEE });
    expect(await count(feeEntries(paidByWebhook))).toBe(1);
  });
});

describe('payouts', () => {
  let payout: Awaited<ReturnType<RunningSandbox['runPayouts']>>[number];
  let paidEvent: { id: string };

  it('post a day\'s payout once, when paid: the treasury\'s bank account debited, psp_receivable left with exactly what the PSP has not paid out', async () => {
    // The day's other movements: a refund, and a chargeback with its dispute fee.
    const refunded = await request(service.app).post(`/payments/v1/payments/${paidByPage}/refunds`).set('Authorization', write).set('Idempotency-Key', randomUUID()).send({ amount: 5_000 });
    expect(refunded.body).toMatchObject({ status: 'succeeded' });
    const disputed = await pay(DISPUTED);
    await eventually('the chargeback\'s withdrawal', async () => {
      const row = await knex()('disputes').where({ payment_id: disputed }).first();
      return row && (await findEntry(knex(), 'dispute_withdrawal', row.id as string));
    });
    // Three payments less their fees, the refund, the chargeback and its fee: all still at the PSP.
    const held = 3 * NET - 5_000 - 15_000 - 1_500;
    expect(await receivable()).toBe(held);
    const atPsp = await sandbox.balance('ils');
    expect(atPsp.available + atPsp.pending).toBe(held);
    expect(await count(knex()('journal_entries').where({ source_type: 'psp_fee' }))).toBe(3);

    // Three days on, past the payout time: everything is available, and paid out in one payout.
    const made = await sandbox.runPayouts(new Date(Date.now() + 3 * DAY));
    expect(made.map((p) => [p.currency, p.amount, p.status])).toEqual([['ils', held, 'paid']]);
    payout = made[0]!;
    const stored = await eventually('the payout.paid event', async () => {
      const found = await payoutRepository(knex()).byId(payout.id);
      return found?.status === 'paid' && found;
    });
    expect(stored).toMatchObject({ amount: held, currency: 'ILS', automatic: true, arrivalDate: new Date(payout.arrival_date * 1000).toISOString().slice(0, 10), balanceTransactionId: payout.balance_transaction, traceId: expect.stringMatching(/^SBX/) });
    const entry = await findEntry(knex(), 'payout', payout.id);
    expect(entry).toMatchObject({ effectiveDate: stored.arrivalDate });
    expect(entry?.postings).toEqual([
      { accountCode: 'treasury_bank', amount: held, currency: 'ILS' },
      { accountCode: 'psp_receivable', amount: -held, currency: 'ILS' },
    ]);
    expect(await receivable()).toBe(0);
    expect(await balanceOf(knex(), 'treasury_bank', 'ILS')).toBe(held);
    expect(await sandbox.balance('ils')).toEqual({ available: 0, pending: 0 });

    // A payment after the payout is still at the PSP (pending): exactly what psp_receivable holds.
    await pay(SUCCESS);
    expect(await receivable()).toBe(NET);
    expect(await sandbox.balance('ils')).toEqual({ available: 0, pending: NET });
    const trial = await trialBalance(knex(), { currency: 'ILS' });
    expect(trial.totals).toEqual([expect.objectContaining({ currency: 'ILS', net: 0 })]);
    // The ministry's revenue is the payments less the refund: the fees and the payout are not its.
    expect(await balanceOf(knex(), 'ministry_revenue:moi', 'ILS')).toBe(-(4 * 15_000 - 5_000));

    paidEvent = (await sandboxEvents('payout.paid')).find((e) => e.data.object.id === payout.id)!;
    await eventually('both payout events handled', async () => (await count(knex()('psp_events').whereIn('type', ['payout.created', 'payout.paid']))) === 2);
  });

  it('posts nothing more for a duplicate or a late event; a failure after paid is reversed once, and a late paid does not undo it', async () => {
    const event = (await sandboxEvents('payout.paid')).find((e) => e.id === paidEvent.id)!;
    const again = await deliver(event);
    expect(again.body).toEqual({ received: true, duplicate: true });
    const object = event.data.object;
    expect((await deliver(payoutEvent('payout.created', object, { status: 'in_transit' }))).status).toBe(200);
    expect(await payoutRepository(knex()).byId(payout.id)).toMatchObject({ status: 'paid' });
    expect(await count(knex()('journal_entries').where({ source_id: payout.id }))).toBe(1);

    // The bank returns it: Stripe fails the paid payout, and the money is back in its balance.
    const failed = payoutEvent('payout.failed', object, { status: 'failed', failure_code: 'account_closed' });
    expect((await deliver(failed)).status).toBe(200);
    expect(await payoutRepository(knex()).byId(payout.id)).toMatchObject({ status: 'failed', failureCode: 'account_closed' });
    expect((await findEntry(knex(), 'payout_failure', payout.id))?.postings).toEqual([
      { accountCode: 'psp_receivable', amount: payout.amount, currency: 'ILS' },
      { accountCode: 'treasury_bank', amount: -payout.amount, currency: 'ILS' },
    ]);
    expect((await deliver(failed)).body).toMatchObject({ duplicate: true });
    expect((await deliver(payoutEvent('payout.failed', object, { status: 'failed', failure_code: 'account_closed' }))).status).toBe(200);
    expect((await deliver(payoutEvent('payout.paid', object))).status).toBe(200);
    expect(await payoutRepository(knex()).byId(payout.id)).toMatchObject({ status: 'failed' });
    expect(await count(knex()('journal_entries').where({ source_id: payout.id }))).toBe(2);
    expect(await balanceOf(knex(), 'treasury_bank', 'ILS')).toBe(0);
    expect(await receivable()).toBe(payout.amount + NET);
  });

  it('posts nothing for a payout first reported failed, nor for its paid event arriving after', async () => {
    const object = { ...(await sandboxEvents('payout.paid')).find((e) => e.id === paidEvent.id)!.data.object, id: `po_${randomUUID().replaceAll('-', '')}`, amount: 1_230 };
    expect((await deliver(payoutEvent('payout.failed', object, { status: 'failed', failure_code: 'no_account' }))).status).toBe(200);
    expect((await deliver(payoutEvent('payout.paid', object))).status).toBe(200);
    expect(await payoutRepository(knex()).byId(object.id)).toMatchObject({ status: 'failed', amount: 1_230 });
    expect(await count(knex()('journal_entries').where({ source_id: object.id }))).toBe(0);
    expect((await trialBalance(knex(), { currency: 'ILS' })).totals).toEqual([expect.objectContaining({ net: 0 })]);
  });

  it('ignores a payout in a currency the platform does not take', async () => {
    const object = { ...(await sandboxEvents('payout.paid')).find((e) => e.id === paidEvent.id)!.data.object, id: `po_${randomUUID().replaceAll('-', '')}`, currency: 'eur' };
    const event = payoutEvent('payout.paid', object);
    expect((await deliver(event)).body).toEqual({ received: true });
    expect(await knex()('psp_events').where({ id: event.id }).first()).toMatchObject({ outcome: 'ignored' });
    expect(await payoutRepository(knex()).byId(object.id)).toBeUndefined();
  });
});
