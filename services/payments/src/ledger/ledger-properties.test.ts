import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import fc from 'fast-check';
import { migrations } from '../db/migrations/index.js';
import { disputeRepository, type DisputeOrigin } from '../disputes/dispute-repository.js';
import type { Currency } from '../domain/money.js';
import { paymentRepository, type Payment, type PaymentRepository } from '../payments/payment-repository.js';
import { settlePayment } from '../payments/payment-settlement.js';
import { newTestPayment } from '../payments/test-payment.js';
import type { DisputeSnapshot, PspDisputeStatus } from '../psp/payment-provider.js';
import { payoutRepository } from '../payouts/payout-repository.js';
import type { PayoutStatus } from '../psp/payment-provider.js';
import { refundRepository } from '../refunds/refund-repository.js';
import { DISPUTES, MINISTRY_REVENUE, PSP_FEES, PSP_RECEIVABLE, TREASURY_BANK } from './chart-of-accounts.js';
import { trialBalance } from './ledger.js';

// Property-based tests of the ledger, through the code every movement really goes through (the
// payment's settlement with its card fee, the refund's settlement, the dispute's and the payout's
// application of the PSP's view): any set of payments, refunds, disputes and payouts, their PSP
// events replayed in any order, some twice, some at the same time, leaves the ledger balanced,
// with exactly the movements the events imply, and each payment's ledger history equal to its own
// recorded history.

let db: TestDatabase;
let payments: PaymentRepository;
let refunds: ReturnType<typeof refundRepository>;
let disputes: ReturnType<typeof disputeRepository>;
let payouts: ReturnType<typeof payoutRepository>;

beforeAll(async () => {
  db = await createTestDatabase('payments ledger properties', migrations);
  payments = paymentRepository(db.knex);
  refunds = refundRepository(db.knex);
  disputes = disputeRepository(db.knex);
  payouts = payoutRepository(db.knex);
});
afterAll(() => db.drop());

/** A payment as the PSP will decide it, with what happens to it afterwards. */
interface PaymentPlan {
  organisation: number;
  currency: Currency;
  amount: number;
  succeeds: boolean;
  /** The PSP's processing fee on the charge (minor units; 0: none). */
  fee: number;
  /** Refunds asked for (parts of the amount, in order), each with whether the PSP makes it. */
  refunds: Array<{ share: number; succeeds: boolean }>;
  /** A chargeback on what is left, if any, and how it ends. */
  dispute: { fee: number; ends: 'won' | 'lost' | 'open' } | null;
}

const MINOR = { ILS: 100, USD: 100, JOD: 1000 } as const;

const paymentPlan: fc.Arbitrary<PaymentPlan> = fc.record({
  organisation: fc.integer({ min: 0, max: 2 }),
  currency: fc.constantFrom<Currency>('ILS', 'JOD', 'USD'),
  // Whole units keep every amount valid in every currency (JOD's card amounts are multiples of 10 fils).
  units: fc.integer({ min: 1, max: 5_000 }),
  succeeds: fc.boolean(),
  fee: fc.integer({ min: 0, max: 600 }),
  refunds: fc.array(fc.record({ share: fc.double({ min: 0.05, max: 0.6, noNaN: true }), succeeds: fc.boolean() }), { maxLength: 3 }),
  dispute: fc.option(fc.record({ fee: fc.integer({ min: 0, max: 1_500 }), ends: fc.constantFrom<'won' | 'lost' | 'open'>('won', 'lost', 'open') }), { freq: 2 }),
}).map(({ units, ...plan }) => ({ ...plan, amount: units * MINOR[plan.currency] }));

/** A payout the PSP makes, and whether the bank returns it afterwards. */
interface PayoutPlan {
  currency: Currency;
  amount: number;
  fails: boolean;
}

const payoutPlan: fc.Arbitrary<PayoutPlan> = fc.record({ currency: fc.constantFrom<Currency>('ILS', 'JOD', 'USD'), units: fc.integer({ min: 1, max: 20_000 }), fails: fc.boolean() }).map(({ units, ...plan }) => ({ ...plan, amount: units * MINOR[plan.currency] }));

/** One thing the PSP tells us, as a function that tells it; `key` names it for duplicates. */
interface Delivery {
  key: string;
  deliver: () => Promise<unknown>;
}

/** Movements per account, as `code currency` → signed minor units. */
type Movements = Map<string, number>;
const add = (m: Movements, code: string, currency: string, amount: number) => {
  if (amount !== 0) m.set(`${code} ${currency}`, (m.get(`${code} ${currency}`) ?? 0) + amount);
};

/** The movements as a plain object, without accounts that net to nothing. */
const shown = (m: Movements) => Object.fromEntries([...m].filter(([, amount]) => amount !== 0));

async function movementsOf(sourceIds: readonly string[]): Promise<Movements> {
  const rows = await db
    .knex('postings as p')
    .join('journal_entries as e', 'e.id', 'p.entry_id')
    .join('ledger_accounts as a', 'a.id', 'p.account_id')
    .whereIn('e.source_id', sourceIds)
    .groupBy('a.code', 'p.currency')
    .select<Array<{ code: string; currency: string; sum: string }>>('a.code', 'p.currency', db.knex.raw('sum(p.amount) as sum'));
  const m: Movements = new Map();
  for (const r of rows) add(m, r.code, r.currency.trim(), Number(r.sum));
  return m;
}

/** Splits `items` into consecutive groups of 1–3, delivered together (racing), one group after another. */
async function deliverInGroups(items: readonly Delivery[], sizes: readonly number[]): Promise<void> {
  for (let i = 0, g = 0; i < items.length; g++) {
    const size = sizes[g % sizes.length] ?? 1;
    await Promise.all(items.slice(i, i + size).map((d) => d.deliver()));
    i += size;
  }
}

/** Applies `deliveries` in the order `order` gives (a permutation, by sorting on it), each repeated as `repeats` says. */
function replayOrder(deliveries: readonly Delivery[], order: readonly number[], repeats: readonly number[]): Delivery[] {
  const withRepeats = deliveries.flatMap((d, i) => Array.from({ length: 1 + ((repeats[i] ?? 0) % 3) }, () => d));
  return withRepeats.map((d, i) => ({ d, rank: order[i % Math.max(order.length, 1)] ?? i, i })).sort((a, b) => a.rank - b.rank || a.i - b.i).map((x) => x.d);
}

const disputeStatuses = (ends: 'won' | 'lost' | 'open'): PspDisputeStatus[] => ['needs_response', 'under_review', ...(ends === 'open' ? [] : [ends])];

describe('the ledger, under any sequence of payments, refunds and disputes', () => {
  it('is balanced, holds exactly the movements the events imply, and each payment’s entries match its history', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paymentPlan, { minLength: 1, maxLength: 5 }),
        fc.array(payoutPlan, { maxLength: 3 }),
        fc.array(fc.nat(1_000), { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(5), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 10 }),
        async (plans, payoutPlans, order, repeats, groupSizes) => {
          const run = randomUUID().slice(0, 8);
          const organisations = [0, 1, 2].map((i) => `prop-${run}-${i}`);
          const expected: Movements = new Map();
          const sourceIds: string[] = [];

          // The ministries' requests, in the only order the API allows: payments made and submitted.
          const made: Array<{ plan: PaymentPlan; payment: Payment; intentId: string }> = [];
          for (const plan of plans) {
            const { payment } = await payments.create(newTestPayment({ organisationId: organisations[plan.organisation]!, amount: plan.amount, currency: plan.currency, reference: `PROP-${run}`, phoneNumber: null }));
            const intentId = `pi_${run}_${made.length}`;
            await payments.transition(payment.id, 'start');
            const moved = await payments.transition(payment.id, 'submit', { changes: { psp_payment_intent_id: intentId } });
            if (moved.outcome === 'not_found') throw new Error('the payment vanished');
            made.push({ plan, payment: moved.payment, intentId });
            sourceIds.push(payment.id);
          }

          // 1. The PSP's answers to the payments, in any order, some twice, some at once.
          const outcomes: Delivery[] = made.map(({ plan, payment }) => ({
            key: `outcome ${payment.id}`,
            deliver: () => settlePayment(payments, payment, plan.succeeds ? { kind: 'succeeded', intentId: payment.pspPaymentIntentId!, chargeId: `ch_${payment.id}`, fee: { balanceTransactionId: `txn_${payment.id}`, fee: plan.fee, net: plan.amount - plan.fee, currency: plan.currency, availableOn: new Date() } } : { kind: 'declined', intentId: payment.pspPaymentIntentId!, code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' }),
          }));
          await deliverInGroups(replayOrder(outcomes, order, repeats), groupSizes);

          // 2. Refunds the ministries ask for (the API takes them only once a payment has succeeded),
          // then the PSP's answers to them, its disputes' events, and late repeats of the payments'
          // answers, all in any order, some twice, some at once.
          const later: Delivery[] = [...outcomes];
          for (const { plan, payment, intentId } of made) {
            const revenue = `${MINISTRY_REVENUE}:${payment.organisationId}`;
            if (!plan.succeeds) continue;
            add(expected, PSP_RECEIVABLE, plan.currency, plan.amount - plan.fee);
            add(expected, revenue, plan.currency, -plan.amount);
            add(expected, PSP_FEES, plan.currency, plan.fee);
            sourceIds.push(`txn_${payment.id}`);
            let refunded = 0;
            for (const [i, asked] of plan.refunds.entries()) {
              const amount = Math.max(1, Math.floor((plan.amount * asked.share) / MINOR[plan.currency])) * MINOR[plan.currency];
              const reserved = await refunds.reserve({ organisationId: payment.organisationId, paymentId: payment.id, amount, reason: null, idempotencyKey: `${run}-${payment.id}-${i}`, requestHash: 'h' });
              if (reserved.outcome === 'too much' || reserved.outcome === 'fully refunded') continue;
              if (reserved.outcome !== 'created') throw new Error(`a refund was not reserved: ${reserved.outcome}`);
              sourceIds.push(reserved.refund.id);
              const id = reserved.refund.id;
              later.push({
                key: `refund ${id}`,
                deliver: () => refunds.settle(id, asked.succeeds ? { status: 'succeeded', pspRefundId: `re_${id}` } : { status: 'failed', pspRefundId: `re_${id}`, failureCode: 'expired_or_canceled_card' }),
              });
              if (asked.succeeds) {
                refunded += amount;
                add(expected, PSP_RECEIVABLE, plan.currency, -amount);
                add(expected, revenue, plan.currency, amount);
              }
            }
            const disputed = plan.amount - refunded;
            if (plan.dispute && disputed > 0) {
              const { fee, ends } = plan.dispute;
              const pspDisputeId = `dp_${run}_${payment.id}`;
              for (const [n, status] of disputeStatuses(ends).entries()) {
                const snapshot: DisputeSnapshot = { disputeId: pspDisputeId, paymentIntentId: intentId, chargeId: `ch_${payment.id}`, amount: { amount: disputed, currency: plan.currency }, reason: 'fraudulent', status, evidenceDueBy: null, fee };
                const origin: DisputeOrigin = n % 2 === 0 ? { source: 'webhook', pspEvent: { id: `evt_${pspDisputeId}_${n}`, type: `charge.dispute.${n === 0 ? 'created' : 'updated'}`, created: new Date() } } : { source: 'evidence' };
                later.push({ key: `dispute ${pspDisputeId} ${n}`, deliver: () => disputes.apply(snapshot, origin) });
              }
              add(expected, DISPUTES, plan.currency, disputed);
              add(expected, PSP_RECEIVABLE, plan.currency, -disputed - fee);
              add(expected, PSP_FEES, plan.currency, fee);
              if (ends === 'won') {
                add(expected, PSP_RECEIVABLE, plan.currency, disputed);
                add(expected, DISPUTES, plan.currency, -disputed);
              } else if (ends === 'lost') {
                add(expected, revenue, plan.currency, disputed);
                add(expected, DISPUTES, plan.currency, -disputed);
              }
            }
          }
          // The PSP's payouts to the treasury's account: created, paid, and some returned by the bank.
          for (const [i, { currency, amount, fails }] of payoutPlans.entries()) {
            const payoutId = `po_${run}_${i}`;
            const statuses: PayoutStatus[] = ['in_transit', 'paid', ...(fails ? (['failed'] as const) : [])];
            for (const status of statuses) {
              const snapshot = { payoutId, amount: { amount, currency }, status, arrivalDate: '2026-11-27', created: new Date(), automatic: true, balanceTransactionId: `txn_${payoutId}`, destination: 'ba_treasury', statementDescriptor: 'TAMKEEN PAYOUT', traceId: null, failureCode: status === 'failed' ? 'account_closed' : null };
              later.push({ key: `payout ${payoutId} ${status}`, deliver: () => payouts.apply(snapshot, { id: `evt_${payoutId}_${status}`, type: `payout.${status === 'in_transit' ? 'created' : status}`, created: new Date() }) });
            }
            sourceIds.push(payoutId);
            // Paid, then returned: the payout and its reversal (or nothing, when the return came first).
            if (!fails) {
              add(expected, TREASURY_BANK, currency, amount);
              add(expected, PSP_RECEIVABLE, currency, -amount);
            }
          }
          await deliverInGroups(replayOrder(later, [...order].reverse(), repeats), groupSizes);

          // Every payment ended as the PSP said, once.
          for (const { plan, payment } of made) {
            expect((await payments.byId(payment.id))?.status).toBe(plan.succeeds ? 'succeeded' : 'failed');
          }
          const disputeIds = await db.knex('disputes').whereIn('payment_id', made.map((m) => m.payment.id)).pluck('id');
          sourceIds.push(...disputeIds);

          // The ledger holds exactly the movements the events imply, whatever their order or repeats.
          expect(shown(await movementsOf(sourceIds))).toEqual(shown(expected));

          // Each payment's entries are what its own recorded history says happened to it.
          for (const { payment } of made) {
            const recorded = await paymentHistory(payment.id);
            const own = await movementsOf([payment.id, ...recorded.sourceIds]);
            expect(shown(own)).toEqual(shown(recorded.movements));
          }

          // And the whole ledger nets to zero in every currency.
          for (const total of (await trialBalance(db.knex)).totals) expect(total.net).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  }, 240_000);
});

/**
 * What a payment's own records (its events, its refunds, its dispute and the dispute's history)
 * say should be in the ledger for it, and the ledger sources they are posted under.
 */
async function paymentHistory(paymentId: string): Promise<{ movements: Movements; sourceIds: string[] }> {
  const movements: Movements = new Map();
  const payment = (await payments.byId(paymentId))!;
  const revenue = `${MINISTRY_REVENUE}:${payment.organisationId}`;
  const events = await payments.events(paymentId);
  if (events.some((e) => e.event === 'succeed')) {
    add(movements, PSP_RECEIVABLE, payment.currency, payment.amount - (payment.pspFee ?? 0));
    add(movements, revenue, payment.currency, -payment.amount);
    add(movements, PSP_FEES, payment.currency, payment.pspFee ?? 0);
  }
  const its = await db.knex('refunds').where({ payment_id: paymentId }).select<Array<{ id: string; amount: string; status: string }>>('id', 'amount', 'status');
  for (const r of its.filter((x) => x.status === 'succeeded')) {
    add(movements, PSP_RECEIVABLE, payment.currency, -Number(r.amount));
    add(movements, revenue, payment.currency, Number(r.amount));
  }
  const dispute = await db.knex('disputes').where({ payment_id: paymentId }).first<{ id: string; amount: string; status: string } | undefined>('id', 'amount', 'status');
  if (dispute) {
    const amount = Number(dispute.amount);
    const history = await disputes.events(dispute.id);
    if (history.some((h) => !h.toStatus.startsWith('warning_'))) {
      add(movements, DISPUTES, payment.currency, amount);
      add(movements, PSP_RECEIVABLE, payment.currency, -amount);
    }
    // The dispute's fee is the PSP's figure, not in our records but in the withdrawal's own entry.
    const fee = await db
      .knex('postings as p')
      .join('journal_entries as e', 'e.id', 'p.entry_id')
      .join('ledger_accounts as a', 'a.id', 'p.account_id')
      .where({ 'e.source_type': 'dispute_withdrawal', 'e.source_id': dispute.id, 'a.code': PSP_FEES })
      .sum<{ sum: string | null }>({ sum: 'p.amount' })
      .first();
    add(movements, PSP_FEES, payment.currency, Number(fee?.sum ?? 0));
    add(movements, PSP_RECEIVABLE, payment.currency, -Number(fee?.sum ?? 0));
    if (dispute.status === 'won') {
      add(movements, PSP_RECEIVABLE, payment.currency, amount);
      add(movements, DISPUTES, payment.currency, -amount);
    } else if (dispute.status === 'lost') {
      add(movements, revenue, payment.currency, amount);
      add(movements, DISPUTES, payment.currency, -amount);
    }
  }
  const feeSource = (await db.knex('payments').where({ id: paymentId }).first<{ psp_balance_transaction_id: string | null }>('psp_balance_transaction_id'))?.psp_balance_transaction_id;
  return { movements, sourceIds: [...its.map((r) => r.id), ...(dispute ? [dispute.id] : []), ...(feeSource ? [feeSource] : [])] };
}
