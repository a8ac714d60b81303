import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, schemaViolations, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { CURRENCIES, type Currency } from '../domain/money.js';
import { balanceOf } from '../ledger/ledger.js';
import { payOnPage } from '../pay/test-pay.js';
import { paymentRepository, type PaymentRepository } from '../payments/payment-repository.js';
import { payoutRepository } from '../payouts/payout-repository.js';
import { settlePayment } from '../payments/payment-settlement.js';
import type { BalanceTransactionSnapshot, PaymentProvider } from '../psp/payment-provider.js';
import { stripeSignatureHeader } from '../psp/psp-webhook.js';
import { PSP_WEBHOOK_PATH } from '../psp/psp-webhook-routes.js';
import { balanceTransactionSnapshotOf, stripeAdapter } from '../psp/stripe-adapter.js';
import { stripeForm } from '../psp/stripe-form.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';

const SUCCESS = '4242424242424242';
const DISPUTED = '4000000000000259';
const DAY = 86_400_000;

let sandbox: RunningSandbox;
let service: TestPayments;
let psp: PaymentProvider;
let payments: PaymentRepository;
let server: Server;
let webhookSecret: string;
let write: string;
let finance: string;
let ministryFinance: string;

beforeAll(async () => {
  const port = await freePort();
  sandbox = await startSandbox({ env: { STRIPE_WEBHOOK_RETRY_DELAYS_MS: '50,100,200,400,800' } });
  // Only disputes reach the webhook: payouts are learnt by the pull alone (their webhook never came),
  // and a payment's success only from its page (or the test), so that a fee can stay unknown.
  const endpoint = await fetch(`${sandbox.url}/v1/webhook_endpoints`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sandbox.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: stripeForm({ url: `http://127.0.0.1:${port}${PSP_WEBHOOK_PATH}`, enabled_events: ['charge.dispute.*'] }),
  });
  webhookSecret = ((await endpoint.json()) as { secret: string }).secret;
  psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('settlements', {
    psp,
    env: { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey, PSP_WEBHOOK_SECRET: webhookSecret, SETTLEMENT_MISSING_AFTER_DAYS: '5' },
  });
  // The service's clock is the real one here: the sandbox signs its events with the time now.
  Object.defineProperty(service.clock, 'now', { get: () => new Date(), set: () => undefined });
  payments = paymentRepository(service.stores.knex);
  server = service.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  write = await service.bearer('payments:write');
  finance = await service.bearer('reconciliation:read reconciliation:write', 'tamkeen');
  ministryFinance = await service.bearer('reconciliation:read reconciliation:write', 'moi');
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await sandbox.stop();
  await service.close();
});

const knex = () => service.stores.knex;
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);
const eventually = <T>(what: string, probe: () => Promise<T>, timeoutMs = 10_000) => waitFor(probe, { what, timeoutMs });
const count = async (table: string) => Number((await knex()(table).count<{ n: string }[]>('* as n'))[0]!.n);
const day = (at: Date | number) => new Date(at).toISOString().slice(0, 10);

const fee = (body: object = {}) => ({ amount: 15_000, currency: 'ILS', reference: `PASSPORT-${randomUUID().slice(0, 8)}`, description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid', ...body });

async function newPayment(body: object = {}): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', write).set('Idempotency-Key', randomUUID()).send(fee(body));
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Paid on the hosted page, as a citizen does. */
async function pay(card = SUCCESS, body: object = {}): Promise<string> {
  const id = await newPayment(body);
  expect((await payOnPage(service.app, sandbox, id, card)).status).toBe(303);
  return id;
}

/** Charged at the PSP, but settled from an answer that did not carry the charge's balance transaction: its fee never learnt, nor posted. */
async function paidWithoutFee(amount: number): Promise<string> {
  const id = await newPayment({ amount });
  await payments.transition(id, 'start');
  const intent = await psp.createIntent({ paymentId: id, amount: { amount, currency: 'ILS' }, description: 'Passport renewal fee' });
  await payments.transition(id, 'submit', { changes: { psp_payment_intent_id: intent.intentId } });
  const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: 'http://localhost/return' });
  if (outcome.kind !== 'succeeded') throw new Error(`the sandbox did not charge the card (${outcome.kind})`);
  expect((await settlePayment(payments, (await payments.byId(id))!, { ...outcome, fee: null })).status).toBe('succeeded');
  return id;
}

const refund = async (paymentId: string, amount?: number) => {
  const made = await request(service.app).post(`/payments/v1/payments/${paymentId}/refunds`).set('Authorization', write).set('Idempotency-Key', randomUUID()).send(amount ? { amount } : {});
  expect(made.body).toMatchObject({ status: 'succeeded' });
};

const shown = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', write)).body as Record<string, unknown>;
const row = (id: string) => knex()('payments').where({ id }).first();

const pull = () => request(service.app).post('/payments/v1/reconciliation/settlements/pull').set('Authorization', finance);
const importReport = (csv: string, token = finance) => request(service.app).post('/payments/v1/reconciliation/settlement-reports').set('Authorization', token).set('Content-Type', 'text/csv').send(csv);

/** Every exception so far (what the checks raised). */
const exceptions = async () => (await knex()('reconciliation_exceptions').orderBy('raised_at').select('id', 'kind', 'dedupe_key', 'payment_id', 'balance_transaction_id', 'amount', 'expected_amount')) as Array<{ id: string; kind: string; dedupe_key: string; payment_id: string | null; balance_transaction_id: string | null; amount: string | null; expected_amount: string | null }>;
/** The exceptions raised by `step`, and nothing else. */
async function raisedBy(step: () => Promise<unknown>) {
  const before = new Set((await exceptions()).map((e) => e.id));
  await step();
  return (await exceptions()).filter((e) => !before.has(e.id));
}

/** A balance transaction as the sandbox has it (its source expanded, as the pull reads it). */
async function sandboxTransaction(txnId: string): Promise<BalanceTransactionSnapshot> {
  const response = await fetch(`${sandbox.url}/v1/balance_transactions/${txnId}?expand[0]=source`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } });
  return balanceTransactionSnapshotOf((await response.json()) as Parameters<typeof balanceTransactionSnapshotOf>[0]);
}

const major = (minor: number, currency: string) => {
  const decimals = CURRENCIES[currency as Currency];
  const digits = String(Math.abs(minor)).padStart(decimals + 1, '0');
  return `${minor < 0 ? '-' : ''}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
};
const utc = (at: Date) => at.toISOString().slice(0, 19).replace('T', ' ');

/** Lines as Stripe's itemized payout reconciliation report writes them (`payment_intent_id` only `withIntent`). */
function reportCsv(lines: BalanceTransactionSnapshot[], { withIntent = true, edit = (l: BalanceTransactionSnapshot) => l } = {}): string {
  const header = ['automatic_payout_id', 'automatic_payout_effective_at', 'balance_transaction_id', 'created_utc', 'available_on_utc', 'currency', 'gross', 'fee', 'net', 'reporting_category', 'source_id', 'description', ...(withIntent ? ['payment_intent_id'] : [])];
  const body = lines.map(edit).map((l) =>
    [l.payoutId ?? '', '', l.id, utc(l.created), utc(l.availableOn), l.currency.toLowerCase(), major(l.amount, l.currency), major(l.fee, l.currency), major(l.net, l.currency), l.reportingCategory, l.sourceId ?? '', `"${(l.description ?? '').replaceAll('"', '""')}"`, ...(withIntent ? [l.paymentIntentId ?? ''] : [])].join(','),
  );
  return `${header.join(',')}\n${body.join('\n')}\n`;
}

const dayOne: string[] = [];
const dayTwo: string[] = [];
let jod: string;
let withoutFee: string;
let byAmount: string;
let disputed: string;
let payoutDays: { first: string; second: string };

describe('settlements from the PSP', () => {
  it('match every line of generated days of payments, refunds, a dispute and payouts: each payment gets its payout and settled date, no exception', async () => {
    // Day one: payments in shekels and dinars, a partial refund, a chargeback won with evidence, and
    // two payments whose fee the PSP's answer did not carry.
    for (let i = 0; i < 4; i++) dayOne.push(await pay());
    jod = await pay(SUCCESS, { amount: 10_000, currency: 'JOD' });
    dayOne.push(jod);
    await refund(dayOne[0]!, 5_000);
    disputed = await pay(DISPUTED);
    dayOne.push(disputed);
    const dispute = await eventually('the chargeback from the webhook', async () => {
      const found = await knex()('disputes').where({ payment_id: disputed }).first();
      return found && (await knex()('journal_entries').where({ source_type: 'dispute_withdrawal', source_id: found.id }).first()) && found;
    });
    const won = await request(service.app).post(`/payments/v1/disputes/${dispute.id}/evidence`).set('Authorization', write).send({ text: 'winning_evidence' });
    expect(won.body).toMatchObject({ status: 'won' });
    withoutFee = await paidWithoutFee(15_000);
    byAmount = await paidWithoutFee(12_300);
    dayOne.push(withoutFee, byAmount);
    expect(await shown(withoutFee)).not.toHaveProperty('fee');

    // A PSP that sends a file: its report names the line of one payment without its payment intent,
    // and that payment never learnt its charge's transaction: matched by amount, currency and time.
    const line = (await psp.listBalanceTransactions({ limit: 100 })).items.find((t) => t.reportingCategory === 'charge' && t.amount === 12_300)!;
    const imported = await importReport(reportCsv([line], { withIntent: false }));
    expect(imported.status).toBe(200);
    expect(violations('SettlementReportImport', imported.body)).toEqual([]);
    expect(imported.body).toMatchObject({ lines: { seen: 1, new: 1 }, matching: { matched: 1, mismatched: 0, unmatched: 0, pending: 0 }, fees_posted: 1, exceptions_raised: 0 });
    expect(await knex()('settlement_lines').where({ id: line.id }).first()).toMatchObject({ payment_id: byAmount, matched_by: 'amount_date', match_status: 'matched', origin: 'report' });
    expect(await shown(byAmount)).toMatchObject({ fee: line.fee, net_amount: 12_300 - line.fee });

    // Three days on, everything available is paid out; day two: more payments and a full refund, paid out three days later.
    const firstRun = await sandbox.runPayouts(new Date(Date.now() + 3 * DAY));
    expect(firstRun.map((p) => p.currency).sort()).toEqual(['ils', 'jod']);
    for (let i = 0; i < 2; i++) dayTwo.push(await pay());
    await refund(dayOne[1]!);
    const secondRun = await sandbox.runPayouts(new Date(Date.now() + 6 * DAY));
    expect(secondRun.map((p) => p.currency)).toEqual(['ils']);
    payoutDays = { first: day(firstRun[0]!.arrival_date * 1000), second: day(secondRun[0]!.arrival_date * 1000) };

    const pulled = await pull();
    expect(pulled.status).toBe(200);
    expect(violations('SettlementRun', pulled.body)).toEqual([]);
    expect(pulled.body).toMatchObject({
      payouts: { seen: 3, posted: 3 },
      matching: { mismatched: 0, unmatched: 0, pending: 0 },
      fees_posted: 1,
      payments_settled: dayOne.length + dayTwo.length,
      exceptions_raised: 0,
      lines: { conflicting: 0 },
    });
    expect(await exceptions()).toEqual([]);
    expect(await knex()('settlement_lines').whereNot({ match_status: 'matched' })).toEqual([]);
    // Every line the PSP has is here once: charges, refunds, the dispute's withdrawal and reinstatement, the payouts.
    const categories = (await knex()('settlement_lines').select('reporting_category').count('* as n').groupBy('reporting_category').orderBy('reporting_category')) as Array<{ reporting_category: string; n: string }>;
    expect(Object.fromEntries(categories.map((c) => [c.reporting_category, Number(c.n)]))).toEqual({ charge: 10, dispute: 1, dispute_reversal: 1, payout: 3, refund: 2 });
    // The report's line, now with what the API adds (its payment intent, its payout), is the same line.
    expect(await knex()('settlement_lines').where({ id: line.id }).first()).toMatchObject({ origin: 'report', psp_payment_intent_id: line.paymentIntentId, payout_id: firstRun.find((p) => p.currency === 'ils')!.id });

    // Each payment: its payout and the day it reached the bank.
    for (const id of dayOne) expect(await shown(id)).toMatchObject({ settled_date: payoutDays.first, payout_id: jod === id ? firstRun.find((p) => p.currency === 'jod')!.id : firstRun.find((p) => p.currency === 'ils')!.id });
    for (const id of dayTwo) expect(await shown(id)).toMatchObject({ settled_date: payoutDays.second, payout_id: secondRun[0]!.id });
    expect(violations('Payment', await shown(jod))).toEqual([]);
    // The fee the PSP's answer never carried, now recorded from its line and posted once.
    const feeLine = await knex()('settlement_lines').where({ payment_id: withoutFee }).first();
    expect(await shown(withoutFee)).toMatchObject({ fee: Number(feeLine.fee) });
    expect(await knex()('journal_entries').where({ source_type: 'psp_fee', source_id: feeLine.id })).toHaveLength(1);

    // The ledger agrees with the PSP: all of it paid out, every payout in the treasury's account.
    for (const currency of ['ILS', 'JOD'] as const) {
      const atPsp = await sandbox.balance(currency.toLowerCase());
      expect(await balanceOf(knex(), 'psp_receivable', currency)).toBe(atPsp.available + atPsp.pending);
      const paidOut = [...firstRun, ...secondRun].filter((p) => p.currency === currency.toLowerCase()).reduce((sum, p) => sum + p.amount, 0);
      expect(await balanceOf(knex(), 'treasury_bank', currency)).toBe(paidOut);
    }
  });

  it('are searchable by settled date, and a ministry sees its own payments\' settled date', async () => {
    const list = async (query: string) => {
      const answer = await request(service.app).get(`/payments/v1/payments?${query}&limit=100`).set('Authorization', write);
      expect(answer.status).toBe(200);
      return (answer.body.payments as Array<{ id: string }>).map((p) => p.id).sort();
    };
    expect(await list(`settled_date_from=${payoutDays.first}&settled_date_to=${payoutDays.first}`)).toEqual([...dayOne].sort());
    expect(await list(`settled_date_from=${payoutDays.second}`)).toEqual([...dayTwo].sort());
    expect(await list(`settled_date_to=${day(Date.parse(payoutDays.first) - DAY)}`)).toEqual([]);
    const wrong = await request(service.app).get('/payments/v1/payments?settled_date_from=2026-02-30').set('Authorization', write);
    expect(wrong.status).toBe(400);
    expect(wrong.body.invalid_params).toEqual([{ name: 'settled_date_from', reason: expect.stringMatching(/date/) }]);
    // Another ministry sees none of them.
    const other = await request(service.app).get(`/payments/v1/payments?settled_date_from=${payoutDays.first}`).set('Authorization', await service.bearer('payments:read', 'mol'));
    expect(other.body.payments).toEqual([]);
  });

  it('are the platform\'s finance staff\'s alone: a ministry\'s token is refused', async () => {
    for (const call of [
      request(service.app).post('/payments/v1/reconciliation/settlements/pull').set('Authorization', ministryFinance),
      importReport('balance_transaction_id\n', ministryFinance),
      request(service.app).get('/payments/v1/reconciliation/exceptions').set('Authorization', ministryFinance),
      request(service.app).post('/payments/v1/reconciliation/settlements/missing-check').set('Authorization', ministryFinance).send({}),
    ]) {
      const answer = await call;
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'platform_only' });
    }
    const readOnly = await service.bearer('reconciliation:read', 'tamkeen');
    expect((await request(service.app).post('/payments/v1/reconciliation/settlements/pull').set('Authorization', readOnly)).status).toBe(403);
  });

  it('pulled again, store, post and raise nothing new; the payout webhook arriving late posts nothing either', async () => {
    const entries = await count('journal_entries');
    const lines = await count('settlement_lines');
    const again = await pull();
    expect(again.body).toEqual({
      lines: { seen: expect.any(Number), new: 0, updated: 0, conflicting: 0 },
      // From the cursor on: the payouts of the last hour before the newest one seen (the second day's).
      payouts: { seen: 1, posted: 0 },
      matching: { matched: 0, mismatched: 0, unmatched: 0, pending: 0 },
      fees_posted: 0,
      payments_settled: 0,
      exceptions_raised: 0,
    });
    expect(await count('settlement_lines')).toBe(lines);
    // The payout.paid event the PSP never delivered, delivered now: the same entry, not a second.
    const events = await fetch(`${sandbox.url}/v1/events?type=payout.paid&limit=100`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } });
    for (const event of ((await events.json()) as { data: object[] }).data) {
      const body = JSON.stringify(event);
      const delivered = await request(service.app).post(PSP_WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', stripeSignatureHeader(webhookSecret, body)).send(body);
      expect(delivered.status).toBe(200);
    }
    expect(await count('journal_entries')).toBe(entries);
    expect(await exceptions()).toEqual([]);
  });

  it('a payout that fails after its payments were settled unsettles them: their settled date is read from the payout, not written on them', async () => {
    const payouts = payoutRepository(knex());
    const paid = (await knex()('payment_settlements').whereIn('payment_id', dayTwo).distinct('payout_id').pluck('payout_id')) as string[];
    expect(paid).toHaveLength(1);
    const payout = (await payouts.byId(paid[0]!))!;
    // In a transaction rolled back at the end, so the other tests see the payout paid.
    await knex()
      .transaction(async (trx) => {
        await payouts.record(trx, { ...payout, payoutId: payout.id, amount: { amount: payout.amount, currency: payout.currency }, status: 'failed', failureCode: 'account_closed' }, new Date());
        expect(await trx('payment_settlements').whereIn('payment_id', dayTwo)).toEqual([]);
        expect(await trx('payment_settlements').whereIn('payment_id', dayOne).count<Array<{ count: string }>>('* as count')).toEqual([{ count: String(dayOne.length) }]);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    for (const id of dayTwo) expect(await shown(id)).toMatchObject({ settled_date: payoutDays.second, payout_id: paid[0] });
  });

  it('runs one pull at a time: another asked meanwhile is a 409', async () => {
    await knex()('settlement_runs').where({ name: 'pull' }).update({ lease_until: new Date(Date.now() + 60_000) });
    const busy = await pull();
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ code: 'pull_running' });
    await knex()('settlement_runs').where({ name: 'pull' }).update({ lease_until: null });
  });
});

describe('what does not match', () => {
  it('a charge no payment of ours has: unknown_charge, and nothing else', async () => {
    const intent = await psp.createIntent({ paymentId: randomUUID(), amount: { amount: 7_700, currency: 'ILS' }, description: 'Not ours' });
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: 'http://localhost/return' });
    expect(outcome).toMatchObject({ kind: 'succeeded' });
    let answer: request.Response | undefined;
    const raised = await raisedBy(async () => (answer = await pull()));
    expect(raised).toEqual([expect.objectContaining({ kind: 'unknown_charge', amount: '7700', payment_id: null, balance_transaction_id: expect.stringMatching(/^txn_/) })]);
    expect(answer!.body).toMatchObject({ lines: { new: 1 }, matching: { matched: 0, unmatched: 1 }, exceptions_raised: 1 });
    expect(await raisedBy(pull)).toEqual([]);
  });

  it('a payout the bank sent back: its payout_reversal line waits while our payout is paid, and matches it once it has failed; nothing is raised', async () => {
    const payouts = payoutRepository(knex());
    const id = `po_reversed_${randomUUID().slice(0, 8)}`;
    const snapshot = { payoutId: id, amount: { amount: 25_000, currency: 'ILS' as const }, status: 'paid' as const, arrivalDate: '2026-11-02', created: new Date('2026-11-01T04:00:00Z'), automatic: true, balanceTransactionId: `txn_${id}`, destination: null, statementDescriptor: null, traceId: null, failureCode: null };
    await knex().transaction((trx) => payouts.record(trx, snapshot, new Date()));
    const header = 'balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description';
    const csv = `${header}\ntxn_back_${id},2026-11-03 09:00:00,2026-11-03 09:00:00,ils,250.00,0.00,250.00,payout_reversal,${id},Payout returned by the bank\n`;
    const lineOf = () => knex()('settlement_lines').where({ id: `txn_back_${id}` }).first('match_status');
    let answer: request.Response | undefined;
    expect(await raisedBy(async () => (answer = await importReport(csv)))).toEqual([]);
    expect(answer!.body).toMatchObject({ matching: { pending: 1, unmatched: 0 } });
    expect(await lineOf()).toEqual({ match_status: 'pending' });
    // The payout.failed webhook, late: the next run matches the line.
    await knex().transaction((trx) => payouts.record(trx, { ...snapshot, status: 'failed', failureCode: 'account_closed' }, new Date()));
    expect(await raisedBy(async () => (answer = await importReport(`${header}\n`)))).toEqual([]);
    expect(answer!.body).toMatchObject({ matching: { matched: 1, pending: 0 } });
    expect(await lineOf()).toEqual({ match_status: 'matched' });
  });

  it('a payment whose settlement never comes: missing_settlement after the configured days, as of the date asked, once', async () => {
    const unpaid = await pay();
    expect((await raisedBy(pull))).toEqual([]);
    expect(await knex()('settlement_lines').where({ payment_id: unpaid }).first()).toMatchObject({ match_status: 'matched', payout_id: null });
    const check = (asOf: Date) => request(service.app).post('/payments/v1/reconciliation/settlements/missing-check').set('Authorization', finance).send({ as_of: asOf.toISOString() });
    let early: request.Response | undefined;
    expect(await raisedBy(async () => (early = await check(new Date(Date.now() + 5 * DAY - 3_600_000))))).toEqual([]);
    expect(early!.body).toMatchObject({ found: 0, raised: 0 });
    let late: request.Response | undefined;
    const raised = await raisedBy(async () => (late = await check(new Date(Date.now() + 6 * DAY))));
    expect(raised).toEqual([expect.objectContaining({ kind: 'missing_settlement', dedupe_key: `missing_settlement:${unpaid}`, payment_id: unpaid, expected_amount: '15000' })]);
    expect(violations('MissingSettlementCheck', late!.body)).toEqual([]);
    expect(late!.body).toMatchObject({ found: 1, raised: 1 });
    const rerun = await check(new Date(Date.now() + 7 * DAY));
    expect(rerun.body).toMatchObject({ found: 1, raised: 0 });
    expect((await request(service.app).post('/payments/v1/reconciliation/settlements/missing-check').set('Authorization', finance).send({ as_of: 'tomorrow' })).status).toBe(400);
  });

  let edited: BalanceTransactionSnapshot;
  it('an amount in a report that differs from the payment: amount_mismatch, and nothing else; the same report again adds nothing', async () => {
    const paid = await pay();
    edited = await sandboxTransaction((await row(paid)).psp_balance_transaction_id);
    const csv = reportCsv([edited], { edit: (l) => ({ ...l, amount: l.amount - 100, net: l.net - 100 }) });
    let answer: request.Response | undefined;
    const raised = await raisedBy(async () => (answer = await importReport(csv)));
    expect(raised).toEqual([expect.objectContaining({ kind: 'amount_mismatch', dedupe_key: `amount_mismatch:${edited.id}:amount`, payment_id: paid, amount: '14900', expected_amount: '15000' })]);
    expect(answer!.body).toMatchObject({ lines: { new: 1 }, matching: { mismatched: 1 }, fees_posted: 0, exceptions_raised: 1 });
    // The mismatch posts nothing: the payment's fee was posted once, at its success.
    expect(await knex()('journal_entries').where({ source_type: 'psp_fee', source_id: edited.id })).toHaveLength(1);
    let again: request.Response | undefined;
    expect(await raisedBy(async () => (again = await importReport(csv)))).toEqual([]);
    expect(again!.body).toMatchObject({ lines: { seen: 1, new: 0, updated: 0, conflicting: 0 }, exceptions_raised: 0 });
  });

  it('the same line twice with different content (the report said one thing, the PSP\'s API another): duplicate_line, and nothing else', async () => {
    const raised = await raisedBy(pull);
    expect(raised).toEqual([expect.objectContaining({ kind: 'duplicate_line', balance_transaction_id: edited.id, amount: String(edited.amount), expected_amount: String(edited.amount - 100) })]);
    // The first version stays; a rerun raises nothing new.
    expect(await knex()('settlement_lines').where({ id: edited.id }).first()).toMatchObject({ amount: String(edited.amount - 100), origin: 'report' });
    expect(await raisedBy(pull)).toEqual([]);
    // Within one report too: the second version of a line is a duplicate_line, the first is kept.
    const other = await sandboxTransaction((await row(dayTwo[0]!)).psp_balance_transaction_id);
    const twice = `${reportCsv([other])}${reportCsv([other], { edit: (l) => ({ ...l, fee: l.fee + 1, net: l.net - 1 }) }).split('\n')[1]}\n`;
    const inReport = await raisedBy(() => importReport(twice));
    expect(inReport).toEqual([expect.objectContaining({ kind: 'duplicate_line', balance_transaction_id: other.id })]);
  });
});

describe('a settlement report that cannot be taken', () => {
  it('is refused whole with a 422 naming the line and column, and nothing is stored', async () => {
    const paid = await pay();
    const line = await sandboxTransaction((await row(paid)).psp_balance_transaction_id);
    const good = reportCsv([line]).trimEnd();
    const bad = good.split('\n')[1]!.replace(line.id, `${line.id}x`).replace(`,${major(line.amount, 'ILS')},`, ',fifteen,');
    const before = { lines: await count('settlement_lines'), reports: await count('settlement_reports'), exceptions: await count('reconciliation_exceptions'), entries: await count('journal_entries') };
    const refused = await importReport(`${good}\n${bad}\n`);
    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'invalid_settlement_report', line: 3, column: 'gross', detail: expect.stringMatching(/^Line 3, column gross: /) });
    expect({ lines: await count('settlement_lines'), reports: await count('settlement_reports'), exceptions: await count('reconciliation_exceptions'), entries: await count('journal_entries') }).toEqual(before);

    // A quoted field never closed (a quote inside an unquoted field is read as it is, as spreadsheets do).
    const unclosed = await importReport(`${good}\n${good.split('\n')[1]!.replace(line.id, `${line.id}y`).replace(/"([^"]*)"/, '"$1')}\n`);
    expect(unclosed.status).toBe(422);
    expect(unclosed.body).toMatchObject({ code: 'invalid_settlement_report', column: null });
    const notCsv = await request(service.app).post('/payments/v1/reconciliation/settlement-reports').set('Authorization', finance).send({ lines: [] });
    expect(notCsv.status).toBe(415);
    expect(await count('settlement_lines')).toBe(before.lines);
  });
});

describe('the exception list', () => {
  it('lists them newest first, by kind and status, a page at a time', async () => {
    const all = await request(service.app).get('/payments/v1/reconciliation/exceptions').set('Authorization', finance);
    expect(all.status).toBe(200);
    expect(violations('ReconciliationExceptionList', all.body)).toEqual([]);
    expect((all.body.exceptions as Array<{ kind: string }>).map((e) => e.kind).sort()).toEqual(['amount_mismatch', 'duplicate_line', 'duplicate_line', 'missing_settlement', 'unknown_charge']);
    const mismatches = await request(service.app).get('/payments/v1/reconciliation/exceptions?kind=amount_mismatch&status=open').set('Authorization', finance);
    expect(mismatches.body.exceptions).toEqual([expect.objectContaining({ kind: 'amount_mismatch', status: 'open', currency: 'ILS', amount: 14_900, expected_amount: 15_000, details: expect.objectContaining({ rule: 'psp_id' }) })]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(service.app).get(`/payments/v1/reconciliation/exceptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`).set('Authorization', finance);
      expect(page.body.exceptions.length).toBeLessThanOrEqual(2);
      seen.push(...(page.body.exceptions as Array<{ id: string }>).map((e) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual((all.body.exceptions as Array<{ id: string }>).map((e) => e.id));
    expect((await request(service.app).get('/payments/v1/reconciliation/exceptions?status=closed').set('Authorization', finance)).status).toBe(400);
    expect((await request(service.app).get('/payments/v1/reconciliation/exceptions?kind=resolved').set('Authorization', finance)).body.exceptions).toEqual([]);
  });
});
