import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@tamkeen/http-kit';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { logCapture } from '@tamkeen/testing';
import { migrations } from '../db/migrations/index.js';
import { balanceOf } from '../ledger/ledger.js';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { refundRepository, type RefundRepository } from '../refunds/refund-repository.js';
import { paymentRepository, type Payment, type PaymentRepository } from './payment-repository.js';
import { sweepSubmitted } from './psp-sweep.js';
import { newTestPayment } from './test-payment.js';

// What the PSP was asked and never answered — a payment confirmed at the PSP whose page never
// heard back, a refund asked while the PSP was down — is settled by the sweep, once.

let db: TestDatabase;
let sandbox: RunningSandbox;
let payments: PaymentRepository;
let refunds: RefundRepository;
const logger = createLogger({ service: 'payments', destination: logCapture().destination });

beforeAll(async () => {
  db = await createTestDatabase('payments psp sweep', migrations);
  sandbox = await startSandbox();
  payments = paymentRepository(db.knex);
  refunds = refundRepository(db.knex);
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await db?.drop();
});

const psp = () => stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
const deadPsp = () => stripeAdapter({ apiUrl: 'http://127.0.0.1:1', secretKey: sandbox.secretKey, timeoutMs: 1_000 });
const later = (minutes: number) => new Date(Date.now() + minutes * 60_000);

/** A payment the citizen paid at the PSP (intent created and confirmed with 4242) whose answer never reached us: left submitted. */
async function confirmedButUnheard(): Promise<Payment> {
  const { payment } = await payments.create(newTestPayment({ phoneNumber: null }));
  await payments.transition(payment.id, 'start');
  const intent = await psp().createIntent({ paymentId: payment.id, amount: { amount: payment.amount, currency: payment.currency }, description: payment.description });
  const moved = await payments.transition(payment.id, 'submit', { changes: { psp_payment_intent_id: intent.intentId } });
  if (moved.outcome === 'not_found') throw new Error('no payment');
  const outcome = await psp().confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise('4242424242424242'), returnUrl: 'https://pay.example/return' });
  expect(outcome.kind).toBe('succeeded');
  return moved.payment;
}

describe('the sweep of what the PSP never answered', () => {
  it('settles a payment left submitted once it is ten minutes old, with its ledger entries, once', async () => {
    const payment = await confirmedButUnheard();
    const receivable = await balanceOf(db.knex, 'psp_receivable', 'ILS');
    // Too young: a page or a webhook may still be settling it.
    expect(await sweepSubmitted({ payments, refunds, psp: psp(), logger }, { now: later(5) })).toEqual({ payments: 0, refunds: 0 });
    expect((await payments.byId(payment.id))?.status).toBe('submitted');
    const swept = await Promise.all([sweepSubmitted({ payments, refunds, psp: psp(), logger }, { now: later(11) }), sweepSubmitted({ payments, refunds, psp: psp(), logger }, { now: later(11) })]);
    expect(swept.reduce((n, s) => n + s.payments, 0)).toBeGreaterThanOrEqual(1);
    const settled = await payments.byId(payment.id);
    expect(settled).toMatchObject({ status: 'succeeded', pspFee: expect.any(Number) });
    // The payment and its card fee, each posted once whichever sweep got there first.
    expect(await db.knex('journal_entries').where({ source_type: 'payment', source_id: payment.id })).toHaveLength(1);
    expect(await balanceOf(db.knex, 'psp_receivable', 'ILS')).toBe(receivable + payment.amount - settled!.pspFee!);
  });

  it('settles a refund left submitted when the PSP was down, once the PSP answers again', async () => {
    const payment = await confirmedButUnheard();
    await sweepSubmitted({ payments, refunds, psp: psp(), logger }, { now: later(11) });
    const reserved = await refunds.reserve({ organisationId: payment.organisationId, paymentId: payment.id, amount: 5_000, reason: null, idempotencyKey: `sweep-${payment.id}`, requestHash: 'h' });
    if (reserved.outcome !== 'created') throw new Error(reserved.outcome);
    // The PSP is down: the sweep leaves it submitted, holding its amount, and does not fail.
    expect(await sweepSubmitted({ payments, refunds, psp: deadPsp(), logger }, { now: later(11) })).toEqual({ payments: 0, refunds: 0 });
    expect((await refunds.find(payment.organisationId, payment.id, reserved.refund.id))?.status).toBe('submitted');
    expect(await sweepSubmitted({ payments, refunds, psp: psp(), logger }, { now: later(11) })).toEqual({ payments: 0, refunds: 1 });
    expect((await refunds.find(payment.organisationId, payment.id, reserved.refund.id))?.status).toBe('succeeded');
    expect(await db.knex('journal_entries').where({ source_type: 'refund', source_id: reserved.refund.id })).toHaveLength(1);
  });
});
