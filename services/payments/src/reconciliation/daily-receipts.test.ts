import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import fc from 'fast-check';
import request from 'supertest';
import { postDisputeMovements } from '../disputes/dispute-postings.js';
import type { Currency } from '../domain/money.js';
import { postPaymentSucceeded, postPspFee, postRefundSucceeded } from '../ledger/payment-postings.js';
import { postPayout } from '../ledger/payout-postings.js';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { paymentRepository } from '../payments/payment-repository.js';
import { newTestPayment } from '../payments/test-payment.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { dailyReceipts } from './daily-receipts.js';

// The daily receipts report ties out to the ledger: for any generated day of payments, card fees,
// refunds, disputes (won, lost, open) and payouts, its totals equal the movements of the ledger's
// accounts on that day.

let service: TestPayments;
beforeAll(async () => {
  service = await testPayments('payments daily receipts');
});
afterAll(() => service.close());

const knex = () => service.stores.knex;
const MINOR = { ILS: 100, USD: 100, JOD: 1000 } as const;

interface PaymentDay {
  organisation: number;
  currency: Currency;
  amount: number;
  fee: number;
  refund: number;
  dispute: { fee: number; ends: 'won' | 'lost' | 'open' } | null;
}

const paymentDay: fc.Arbitrary<PaymentDay> = fc
  .record({
    organisation: fc.integer({ min: 0, max: 2 }),
    currency: fc.constantFrom<Currency>('ILS', 'JOD', 'USD'),
    units: fc.integer({ min: 1, max: 2_000 }),
    fee: fc.integer({ min: 0, max: 300 }),
    refundShare: fc.constantFrom(0, 0, 0.25, 0.5),
    dispute: fc.option(fc.record({ fee: fc.integer({ min: 0, max: 1_500 }), ends: fc.constantFrom<'won' | 'lost' | 'open'>('won', 'lost', 'open') }), { freq: 3 }),
  })
  .map(({ units, refundShare, ...rest }) => {
    const amount = units * MINOR[rest.currency];
    return { ...rest, amount, refund: Math.floor((amount * refundShare) / MINOR[rest.currency]) * MINOR[rest.currency] };
  });

/** Each run a day of its own. */
let dayNumber = 0;
const nextDay = () => new Date(Date.UTC(2025, 0, 1 + dayNumber++)).toISOString().slice(0, 10);
/** Noon on that day in Palestine: the ledger's day is the same. */
const noonOf = (day: string) => new Date(`${day}T10:00:00Z`);

/** Writes a day of activity through the ledger's own posting functions, dated `day`; answers the expected totals per currency. */
async function generate(day: string, activity: PaymentDay[], payouts: Array<{ currency: Currency; amount: number }>) {
  const at = noonOf(day);
  const organisations = [0, 1, 2].map(() => `ministry-${randomUUID().slice(0, 8)}`);
  const payments = paymentRepository(knex());
  for (const a of activity) {
    const { payment } = await payments.create(newTestPayment({ organisationId: organisations[a.organisation]!, amount: a.amount, currency: a.currency, phoneNumber: null }));
    const txn = `txn_${randomUUID()}`;
    await knex()('payments').where({ id: payment.id }).update({ status: 'succeeded', psp_payment_intent_id: `pi_${payment.id}`, psp_fee: a.fee, psp_balance_transaction_id: txn });
    const paid = { ...payment, updatedAt: at };
    await knex().transaction(async (trx) => {
      await postPaymentSucceeded(trx, paid);
      if (a.fee > 0) await postPspFee(trx, { balanceTransactionId: txn, paymentId: payment.id, reference: payment.reference, fee: a.fee, currency: a.currency, at });
      if (a.refund > 0) {
        const [refund] = await trx('refunds').insert({ id: randomUUID(), payment_id: payment.id, organisation_id: payment.organisationId, amount: a.refund, currency: a.currency, status: 'succeeded', idempotency_key: randomUUID(), request_hash: 'h' }).returning('id');
        await postRefundSucceeded(trx, { id: refund.id, paymentId: payment.id, organisationId: payment.organisationId, amount: a.refund, currency: a.currency, updatedAt: at });
      }
      if (a.dispute && a.amount - a.refund > 0) {
        const status = a.dispute.ends === 'open' ? 'needs_response' : a.dispute.ends;
        const [dispute] = await trx('disputes').insert({ id: randomUUID(), payment_id: payment.id, organisation_id: payment.organisationId, psp_dispute_id: `dp_${randomUUID()}`, amount: a.amount - a.refund, currency: a.currency, reason: 'fraudulent', status }).returning('*');
        await postDisputeMovements(trx, { id: dispute.id, paymentId: payment.id, organisationId: payment.organisationId, pspDisputeId: dispute.psp_dispute_id, amount: a.amount - a.refund, currency: a.currency, reason: 'fraudulent', status, evidenceDueBy: null, createdAt: at, updatedAt: at }, a.dispute.fee, at);
      }
    });
  }
  for (const p of payouts) await knex().transaction((trx) => postPayout(trx, { id: `po_${randomUUID()}`, amount: p.amount, currency: p.currency, arrivalDate: day }));
}

/** Each account code's movement on `day` per currency (ministries' revenue accounts together). */
async function movements(day: string): Promise<Map<string, number>> {
  const rows = await knex()('postings as ps')
    .join('journal_entries as e', 'e.id', 'ps.entry_id')
    .join('ledger_accounts as a', 'a.id', 'ps.account_id')
    .where('e.effective_date', day)
    .groupByRaw(`case when a.code like 'ministry_revenue:%' then 'ministry_revenue' else a.code end, ps.currency`)
    .select<Array<{ code: string; currency: string; sum: string }>>(knex().raw(`case when a.code like 'ministry_revenue:%' then 'ministry_revenue' else a.code end as code`), 'ps.currency', knex().raw('sum(ps.amount) as sum'));
  return new Map(rows.map((r) => [`${r.code} ${r.currency.trim()}`, Number(r.sum)]));
}

describe('the daily receipts report', () => {
  it('ties out to the ledger for any generated day', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paymentDay, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ currency: fc.constantFrom<Currency>('ILS', 'JOD', 'USD'), units: fc.integer({ min: 1, max: 10_000 }) }).map((p) => ({ currency: p.currency, amount: p.units * MINOR[p.currency] })), { maxLength: 2 }),
        async (activity, payouts) => {
          const day = nextDay();
          await generate(day, activity, payouts);
          const report = await dailyReceipts(knex(), day);
          const moved = await movements(day);
          const m = (code: string, currency: string) => moved.get(`${code} ${currency}`) ?? 0;
          for (const t of report.totals) {
            expect({ currency: t.currency, fees: t.fees }).toEqual({ currency: t.currency, fees: m('psp_fees', t.currency) });
            expect(t.net - t.paidOut).toBe(m('psp_receivable', t.currency));
            expect(t.paidOut).toBe(m('treasury_bank', t.currency));
            expect(-t.gross + t.refunds + t.disputesLost).toBe(m('ministry_revenue', t.currency));
            expect(t.disputes - t.disputesLost).toBe(m('disputes', t.currency));
            expect(t.net).toBe(t.gross - t.fees - t.refunds - t.disputes);
          }
          // And against what was generated: the gross is what citizens paid, per currency.
          const paid = new Map<string, number>();
          for (const a of activity) paid.set(a.currency, (paid.get(a.currency) ?? 0) + a.amount);
          expect(Object.fromEntries(report.totals.filter((t) => t.gross !== 0).map((t) => [t.currency, t.gross]))).toEqual(Object.fromEntries(paid));
          // Ministries' lines add up to the totals.
          for (const t of report.totals) {
            const lines = report.ministries.filter((x) => x.currency === t.currency);
            expect(lines.reduce((sum, x) => sum + x.net, 0)).toBe(t.net);
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it('is served as JSON and CSV; a ministry sees only its own lines and no payouts', async () => {
    const day = nextDay();
    await generate(day, [{ organisation: 0, currency: 'ILS', amount: 15_000, fee: 545, refund: 5_000, dispute: null }], [{ currency: 'ILS', amount: 9_000 }]);
    // The treasury's bank statement shows the payout's credit that day, matched to it.
    const [match] = await knex()('bank_statement_matches').insert({ id: randomUUID(), rule: 'reference', shape: 'one_to_one', currency: 'ILS', payout_total: 9_000, credit_total: 9_000 }).returning('id');
    const [statement] = await knex()('bank_statements').insert({ id: randomUUID(), format: 'mt940', account: 'PS92PALS000000000400123456702', account_name: 'Treasury ILS', currency: 'ILS', statement_id: `S-${day}`, opening_balance: 0, opening_date: day, closing_balance: 9_000, closing_date: day, imported_by: 'amal' }).returning('id');
    await knex()('bank_statement_entries').insert({ statement_id: statement.id, position: 1, line: 4, amount: 9_000, currency: 'ILS', direction: 'credit', status: 'booked', value_date: day, booking_date: day, match_id: match.id });
    const platform = await service.bearer('reconciliation:read', PLATFORM_ORGANISATION_ID);
    const json = await request(service.app).get(`/payments/v1/reconciliation/reports/daily-receipts?date=${day}`).set('Authorization', platform);
    expect(json.status).toBe(200);
    expect(schemaViolations('payments.yaml', '#/components/schemas/DailyReceipts', json.body)).toEqual([]);
    expect(json.body.totals).toEqual([{ currency: 'ILS', gross: 15_000, fees: 545, refunds: 5_000, disputes: 0, net: 9_455, disputes_lost: 0, paid_out: 9_000, received_at_bank: 9_000 }]);
    const ministry = json.body.ministries[0].organisation_id as string;
    const csv = await request(service.app).get(`/payments/v1/reconciliation/reports/daily-receipts?date=${day}&format=csv`).set('Authorization', platform);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`daily-receipts-${day}.csv`);
    expect(csv.text.split('\r\n')).toEqual([
      'date,organisation_id,currency,gross,fees,refunds,disputes,net,disputes_lost,paid_out,received_at_bank',
      `${day},${ministry},ILS,15000,545,5000,0,9455,0,,`,
      `${day},TOTAL,ILS,15000,545,5000,0,9455,0,9000,9000`,
      '',
    ]);
    const own = await request(service.app).get(`/payments/v1/reconciliation/reports/daily-receipts?date=${day}`).set('Authorization', await service.bearer('reconciliation:read', ministry));
    expect(own.body.ministries).toHaveLength(1);
    expect(own.body.totals[0]).toMatchObject({ paid_out: 0 });
    const other = await request(service.app).get(`/payments/v1/reconciliation/reports/daily-receipts?date=${day}`).set('Authorization', await service.bearer('reconciliation:read', 'someone-else'));
    expect(other.body).toEqual({ date: day, ministries: [], totals: [] });
    const bad = await request(service.app).get('/payments/v1/reconciliation/reports/daily-receipts?date=27-11-2026').set('Authorization', platform);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('date');
  });
});
