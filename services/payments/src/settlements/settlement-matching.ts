import type { Knex } from '@tamkeen/db';
import { isCurrency, type Currency } from '../domain/money.js';
import { pspFees, pspReceivable } from '../ledger/chart-of-accounts.js';
import { ledgerDay, postJournalEntry } from '../ledger/ledger.js';
import { postPspFee } from '../ledger/payment-postings.js';
import { raiseException, type RaisedException } from '../reconciliation/exceptions.js';
import type { SettlementCounts, SettlementRules } from './settlement-line.js';
import { lineColumns, paymentsSettledBy, type LineRow } from './settlement-store.js';

/**
 * Matching settlement lines to our records, by reporting category:
 * - `charge` → a payment: by its PSP payment intent, else by its charge's balance transaction (the
 *   line's id); else, only for a line that names no payment intent, by amount, currency and time
 *   (the payment's success within `matchWindowHours` of the line, the closest one, among
 *   succeeded payments with no charge line yet and whose balance transaction we do not know).
 *   The amount must be the payment's; the fee the one we recorded (and posted) at its success —
 *   or, when we never learnt it, the line's fee is recorded on the payment and posted now, once
 *   (source `psp_fee`, the line's id: the same source as the success's posting).
 * - `refund` → a refund: by the PSP's refund id, else by amount, currency and time; −amount must
 *   be the refund's (0 for a refund that failed at ours).
 * - `dispute` (funds withdrawn) / `dispute_reversal` (reinstated) → a dispute by the PSP's id;
 *   the amount must be the dispute's, the withdrawal's fee the dispute fee we posted.
 * - `payout` → the payout by its id; −amount must be the payout's.
 * - `payout_reversal` (the bank sent a payout back) → the payout by its id, which must have failed
 *   at ours (else it waits: the failure's webhook may be behind); +amount must be the payout's.
 * - `fee` (a fee the PSP charges on its own) → posted to psp_fees, once.
 * A fee on any other line (a refund's, a reinstatement's) that our postings do not hold is posted
 * once too. Whatever has no record of ours is `unknown_charge`; an amount or a fee that differs is
 * `amount_mismatch` (nothing is posted for it: a finance officer decides); a line whose record is
 * not final yet (a payment still submitted, a refund not answered, a dispute not yet won) stays
 * `pending` and is matched again by the next run. Each exception has a dedupe key, so a rerun
 * raises nothing new.
 */
export async function matchPendingLines(knex: Knex, rules: SettlementRules, counts: SettlementCounts, { batchSize = 500 }: { batchSize?: number } = {}): Promise<void> {
  // After a big import that left many lines pending, the table's statistics are stale (autovacuum has
  // not caught up): without them PostgreSQL reads and sorts every pending line for each batch instead
  // of using the pending index. (Lines matched as they were stored are not pending.)
  if (counts.lines.new - counts.matching.matched >= 10_000) await knex.raw('analyze settlement_lines');
  let after = '';
  for (;;) {
    const lines = await knex.transaction(async (trx) => {
      // Another run matching at the same time takes other lines (SKIP LOCKED); each line is matched once.
      const batch = (await trx('settlement_lines').select(lineColumns(trx)).where('match_status', 'pending').andWhere('id', '>', after).orderBy('id').limit(batchSize).forUpdate().skipLocked()) as LineRow[];
      if (batch.length > 0) await matchBatch(trx, batch, rules, counts);
      return batch;
    });
    if (lines.length < batchSize) return;
    after = lines.at(-1)!.id;
  }
}

interface PaymentCandidate {
  id: string;
  organisation_id: string;
  reference: string;
  amount: string;
  currency: string;
  status: string;
  psp_payment_intent_id: string | null;
  psp_balance_transaction_id: string | null;
  psp_fee: string | null;
}

interface RefundCandidate {
  id: string;
  organisation_id: string;
  payment_id: string;
  amount: string;
  currency: string;
  status: 'submitted' | 'succeeded' | 'failed';
  psp_refund_id: string | null;
}

interface DisputeCandidate {
  id: string;
  organisation_id: string;
  payment_id: string;
  psp_dispute_id: string;
  amount: string;
  currency: string;
  status: string;
}

/** What matching decided for a line. */
interface Decision {
  status: 'pending' | 'matched' | 'mismatch' | 'unmatched';
  matchedBy?: 'psp_id' | 'amount_date' | 'posted';
  paymentId?: string;
  refundId?: string;
  disputeId?: string;
  organisationId?: string;
}

const PAYMENT_COLUMNS = ['id', 'organisation_id', 'reference', 'amount', 'currency', 'status', 'psp_payment_intent_id', 'psp_balance_transaction_id', 'psp_fee'];

const startsWith = (id: string | null, prefix: string) => (id && id.startsWith(prefix) ? id : null);
const pspRefundIdOf = (l: LineRow) => l.psp_refund_id ?? startsWith(l.source_id, 're_');
const pspDisputeIdOf = (l: LineRow) => l.psp_dispute_id ?? startsWith(l.source_id, 'du_');
const payoutIdOf = (l: LineRow) => startsWith(l.source_id, 'po_') ?? l.payout_id;

async function matchBatch(trx: Knex.Transaction, lines: LineRow[], rules: SettlementRules, counts: SettlementCounts): Promise<void> {
  const of = (category: string) => lines.filter((l) => l.reporting_category === category);
  const charges = of('charge');
  const defined = <T>(values: Array<T | null>) => [...new Set(values.filter((v): v is T => v !== null))];

  const intents = defined(charges.map((l) => l.psp_payment_intent_id));
  const byIntent = new Map<string, PaymentCandidate>();
  const byTxn = new Map<string, PaymentCandidate>();
  if (intents.length > 0) for (const p of (await trx('payments').select(PAYMENT_COLUMNS).whereIn('psp_payment_intent_id', intents)) as PaymentCandidate[]) byIntent.set(p.psp_payment_intent_id!, p);
  if (charges.length > 0) for (const p of (await trx('payments').select(PAYMENT_COLUMNS).whereIn('psp_balance_transaction_id', charges.map((l) => l.id))) as PaymentCandidate[]) byTxn.set(p.psp_balance_transaction_id!, p);

  const refundIds = defined(of('refund').map(pspRefundIdOf));
  const refunds = new Map<string, RefundCandidate>();
  if (refundIds.length > 0) for (const r of (await trx('refunds').select('id', 'organisation_id', 'payment_id', 'amount', 'currency', 'status', 'psp_refund_id').whereIn('psp_refund_id', refundIds)) as RefundCandidate[]) refunds.set(r.psp_refund_id!, r);

  const disputeIds = defined([...of('dispute'), ...of('dispute_reversal')].map(pspDisputeIdOf));
  const disputes = new Map<string, DisputeCandidate>();
  if (disputeIds.length > 0) for (const d of (await trx('disputes').select('id', 'organisation_id', 'payment_id', 'psp_dispute_id', 'amount', 'currency', 'status').whereIn('psp_dispute_id', disputeIds)) as DisputeCandidate[]) disputes.set(d.psp_dispute_id, d);
  // The dispute fee each withdrawal posted (dispute-postings.ts: psp_fees in the dispute_withdrawal entry).
  const postedDisputeFees = new Map<string, number>();
  if (disputes.size > 0) {
    const rows = await trx('journal_entries as e')
      .join('postings as p', 'p.entry_id', 'e.id')
      .join('ledger_accounts as a', 'a.id', 'p.account_id')
      .where('e.source_type', 'dispute_withdrawal')
      .whereIn('e.source_id', [...disputes.values()].map((d) => d.id))
      .select('e.source_id', trx.raw(`coalesce(sum(p.amount) filter (where a.code = 'psp_fees'), 0) as fee`))
      .groupBy('e.source_id');
    for (const r of rows as Array<{ source_id: string; fee: string }>) postedDisputeFees.set(r.source_id, Number(r.fee));
  }

  const payoutIds = defined([...of('payout'), ...of('payout_reversal')].map(payoutIdOf));
  const payouts = new Map<string, { id: string; amount: string; currency: string; status: string }>();
  if (payoutIds.length > 0) for (const p of await trx('payouts').select('id', 'amount', 'currency', 'status').whereIn('id', payoutIds)) payouts.set(p.id, p);

  const raise = async (exception: RaisedException) => {
    if ((await raiseException(trx, exception)).raised) counts.exceptions_raised += 1;
  };
  /** What the exceptions of a line say of it. */
  const about = (l: LineRow, rule: string, extra: Record<string, unknown> = {}) => ({
    rule,
    reporting_category: l.reporting_category,
    line: { id: l.id, origin: l.origin, amount: Number(l.amount), fee: Number(l.fee), net: Number(l.net), currency: l.currency, created: l.created.toISOString(), source_id: l.source_id, payment_intent_id: l.psp_payment_intent_id, payout_id: l.payout_id },
    ...extra,
  });
  const currencyOf = (code: string): Currency | null => (isCurrency(code) ? code : null);
  const unknown = async (l: LineRow, what: string): Promise<Decision> => {
    await raise({ kind: 'unknown_charge', dedupeKey: `unknown_charge:${l.id}`, balanceTransactionId: l.id, currency: currencyOf(l.currency), amount: Number(l.amount), payoutId: l.payout_id, details: about(l, what) });
    return { status: 'unmatched' };
  };
  /** Posts a fee the PSP took on a line that our postings do not hold (not a charge's: those are the payment's). */
  const postLineFee = async (l: LineRow, fee: number, what: string) => {
    const currency = currencyOf(l.currency);
    if (fee === 0 || !currency) return;
    const posted = await postJournalEntry(trx, {
      sourceType: 'psp_fee',
      sourceId: l.id,
      description: `${what} (${l.id})`,
      effectiveDate: ledgerDay(l.created),
      postings: [
        { account: pspFees(), amount: fee, currency },
        { account: pspReceivable(), amount: -fee, currency },
      ],
    });
    if (posted.outcome === 'posted') counts.fees_posted += 1;
  };

  async function charge(l: LineRow): Promise<Decision> {
    let payment = (l.psp_payment_intent_id ? byIntent.get(l.psp_payment_intent_id) : undefined) ?? byTxn.get(l.id);
    let matchedBy: Decision['matchedBy'] = 'psp_id';
    if (!payment && !l.psp_payment_intent_id) {
      payment = await paymentByAmountAndTime(trx, l, rules);
      matchedBy = 'amount_date';
    }
    if (!payment) return unknown(l, l.psp_payment_intent_id ? 'no payment of ours has this payment intent' : 'no payment of ours has this balance transaction, nor this amount and currency at that time');
    const matched = { paymentId: payment.id, organisationId: payment.organisation_id, matchedBy };
    const base = { balanceTransactionId: l.id, paymentId: payment.id, organisationId: payment.organisation_id, currency: currencyOf(payment.currency), payoutId: l.payout_id };
    if (payment.status === 'submitted') return { status: 'pending' };
    const expected = payment.status === 'succeeded' ? Number(payment.amount) : 0;
    let agrees = true;
    if (l.currency !== payment.currency || Number(l.amount) !== expected) {
      agrees = false;
      await raise({ ...base, kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:amount`, amount: Number(l.amount), expectedAmount: expected, details: about(l, matchedBy, { payment_status: payment.status, payment_currency: payment.currency, expected }) });
    }
    if (payment.status !== 'succeeded') {
      // Charged at the PSP, not succeeded at ours: the amount mismatch says it all; no fee is posted.
    } else if (payment.psp_balance_transaction_id && payment.psp_balance_transaction_id !== l.id) {
      agrees = false;
      await raise({ ...base, kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:charge`, amount: Number(l.amount), expectedAmount: 0, details: about(l, matchedBy, { problem: 'the payment was charged in another balance transaction', payment_balance_transaction_id: payment.psp_balance_transaction_id }) });
    } else if (payment.psp_fee === null) {
      // The fee was never learnt (the PSP's answer did not carry it): recorded and posted now, once.
      await trx('payments').where({ id: payment.id }).whereNull('psp_fee').update({ psp_fee: Number(l.fee), psp_balance_transaction_id: l.id });
      const currency = currencyOf(payment.currency);
      if (Number(l.fee) > 0 && currency && l.currency === payment.currency) {
        const posted = await postPspFee(trx, { balanceTransactionId: l.id, paymentId: payment.id, reference: payment.reference, fee: Number(l.fee), currency, at: l.created });
        if (posted.outcome === 'posted') counts.fees_posted += 1;
      }
    } else if (Number(payment.psp_fee) !== Number(l.fee)) {
      agrees = false;
      await raise({ ...base, kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:fee`, amount: Number(l.fee), expectedAmount: Number(payment.psp_fee), details: about(l, matchedBy, { problem: 'the fee differs from the one recorded at the payment\'s success', posted_fee: Number(payment.psp_fee) }) });
    }
    return { status: agrees ? 'matched' : 'mismatch', ...matched };
  }

  async function refund(l: LineRow): Promise<Decision> {
    const pspId = pspRefundIdOf(l);
    let found = pspId ? refunds.get(pspId) : undefined;
    let matchedBy: Decision['matchedBy'] = 'psp_id';
    if (!found && !pspId) {
      found = await refundByAmountAndTime(trx, l, rules);
      matchedBy = 'amount_date';
    }
    if (!found) return unknown(l, 'no refund of ours has this PSP refund id' + (pspId ? '' : ', nor this amount and currency at that time'));
    if (found.status === 'submitted') return { status: 'pending' };
    const expected = found.status === 'succeeded' ? Number(found.amount) : 0;
    const matched = { paymentId: found.payment_id, refundId: found.id, organisationId: found.organisation_id, matchedBy };
    await postLineFee(l, Number(l.fee), `Card processor's fee on refund ${found.id}`);
    if (l.currency !== found.currency || -Number(l.amount) !== expected) {
      await raise({ kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:amount`, balanceTransactionId: l.id, refundId: found.id, paymentId: found.payment_id, organisationId: found.organisation_id, currency: currencyOf(found.currency), amount: -Number(l.amount), expectedAmount: expected, payoutId: l.payout_id, details: about(l, matchedBy, { refund_status: found.status, expected }) });
      return { status: 'mismatch', ...matched };
    }
    return { status: 'matched', ...matched };
  }

  async function dispute(l: LineRow): Promise<Decision> {
    const pspId = pspDisputeIdOf(l);
    const found = pspId ? disputes.get(pspId) : undefined;
    if (!found) return unknown(l, 'no dispute of ours has this PSP dispute id');
    const withdrawal = l.reporting_category === 'dispute';
    if (!withdrawal && found.status !== 'won' && found.status !== 'lost') return { status: 'pending' };
    const matched = { paymentId: found.payment_id, disputeId: found.id, organisationId: found.organisation_id, matchedBy: 'psp_id' as const };
    const base = { balanceTransactionId: l.id, disputeId: found.id, paymentId: found.payment_id, organisationId: found.organisation_id, currency: currencyOf(found.currency), payoutId: l.payout_id };
    // A withdrawal takes the amount (and an inquiry, nothing); a reinstatement gives it back only for a dispute won.
    const expected = withdrawal ? (found.status.startsWith('warning_') ? 0 : Number(found.amount)) : found.status === 'won' ? Number(found.amount) : 0;
    let agrees = true;
    if (l.currency !== found.currency || Math.abs(Number(l.amount)) !== expected) {
      agrees = false;
      await raise({ ...base, kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:amount`, amount: Math.abs(Number(l.amount)), expectedAmount: expected, details: about(l, 'psp_id', { dispute_status: found.status, expected }) });
    }
    if (withdrawal) {
      const posted = postedDisputeFees.get(found.id) ?? 0;
      if (posted !== Number(l.fee)) {
        agrees = false;
        await raise({ ...base, kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:fee`, amount: Number(l.fee), expectedAmount: posted, details: about(l, 'psp_id', { problem: 'the dispute fee differs from the one posted with the withdrawal', posted_fee: posted }) });
      }
    } else {
      await postLineFee(l, Number(l.fee), `Card processor's fee on dispute ${found.id}'s reinstatement`);
    }
    return { status: agrees ? 'matched' : 'mismatch', ...matched };
  }

  async function payout(l: LineRow): Promise<Decision> {
    const id = payoutIdOf(l);
    const found = id ? payouts.get(id) : undefined;
    if (!found) return unknown(l, 'no payout of ours has this id');
    if (l.currency !== found.currency || -Number(l.amount) !== Number(found.amount)) {
      await raise({ kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:amount`, balanceTransactionId: l.id, payoutId: found.id, currency: currencyOf(found.currency), amount: -Number(l.amount), expectedAmount: Number(found.amount), details: about(l, 'psp_id') });
      return { status: 'mismatch', matchedBy: 'psp_id' };
    }
    return { status: 'matched', matchedBy: 'psp_id' };
  }

  /** A payout the bank sent back (Stripe's `payout_reversal`: the funds return to the balance): our payout must have failed, for the same amount. */
  async function payoutReversal(l: LineRow): Promise<Decision> {
    const id = payoutIdOf(l);
    const found = id ? payouts.get(id) : undefined;
    if (!found) return unknown(l, 'no payout of ours has this id');
    // Its failure not known at ours yet (the webhook is behind the report): matched by a later run.
    if (found.status !== 'failed' && found.status !== 'canceled') return { status: 'pending' };
    const expected = Number(found.amount);
    if (l.currency !== found.currency || Number(l.amount) !== expected) {
      await raise({ kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${l.id}:amount`, balanceTransactionId: l.id, payoutId: found.id, currency: currencyOf(found.currency), amount: Number(l.amount), expectedAmount: expected, details: about(l, 'psp_id', { payout_status: found.status, expected }) });
      return { status: 'mismatch', matchedBy: 'psp_id' };
    }
    return { status: 'matched', matchedBy: 'psp_id' };
  }

  async function fee(l: LineRow): Promise<Decision> {
    await postLineFee(l, -Number(l.net), `Card processor's fee ${l.description ?? ''}`.trim());
    return { status: 'matched', matchedBy: 'posted' };
  }

  const decide = (l: LineRow): Promise<Decision> => {
    switch (l.reporting_category) {
      case 'charge':
        return charge(l);
      case 'refund':
        return refund(l);
      case 'dispute':
      case 'dispute_reversal':
        return dispute(l);
      case 'payout':
        return payout(l);
      case 'payout_reversal':
        return payoutReversal(l);
      case 'fee':
        return fee(l);
      default:
        return unknown(l, `a movement of category ${l.reporting_category} that no record of ours explains`);
    }
  };

  const decided: Array<{ id: string } & Decision> = [];
  for (const l of lines) {
    const decision = await decide(l);
    if (decision.status === 'pending') {
      counts.matching.pending += 1;
      continue;
    }
    counts.matching[decision.status === 'matched' ? 'matched' : decision.status === 'mismatch' ? 'mismatched' : 'unmatched'] += 1;
    decided.push({ id: l.id, ...decision });
  }
  if (decided.length === 0) return;
  await trx.raw(
    `update settlement_lines l set match_status = v.status, matched_by = v.matched_by, payment_id = v.payment_id::uuid, refund_id = v.refund_id::uuid,
            dispute_id = v.dispute_id::uuid, organisation_id = v.organisation_id, matched_at = now(), updated_at = now()
       from (values ${decided.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}) as v(id, status, matched_by, payment_id, refund_id, dispute_id, organisation_id)
      where l.id = v.id`,
    decided.flatMap((d) => [d.id, d.status, d.matchedBy ?? null, d.paymentId ?? null, d.refundId ?? null, d.disputeId ?? null, d.organisationId ?? null]),
  );
  counts.payments_settled += await paymentsSettledBy(trx, decided.map((d) => d.id));
}

/** The closest succeeded payment of the line's amount and currency, within the window, that no charge line has matched and whose charge's transaction we do not know. */
async function paymentByAmountAndTime(trx: Knex.Transaction, l: LineRow, rules: SettlementRules): Promise<PaymentCandidate | undefined> {
  const windowMs = rules.matchWindowHours * 3_600_000;
  const row = await trx('payments as p')
    .join('payment_events as e', function () {
      this.on('e.payment_id', 'p.id').andOnVal('e.event', 'succeed');
    })
    .where({ 'p.status': 'succeeded', 'p.currency': l.currency, 'p.amount': Number(l.amount) })
    .whereNull('p.psp_balance_transaction_id')
    .whereBetween('e.at', [new Date(l.created.getTime() - windowMs), new Date(l.created.getTime() + windowMs)])
    .whereNotExists((q) => q.select(trx.raw('1')).from('settlement_lines as l').whereRaw('l.payment_id = p.id').andWhere('l.reporting_category', 'charge'))
    .orderByRaw('abs(extract(epoch from e.at - ?::timestamptz)), p.id', [l.created])
    .first(PAYMENT_COLUMNS.map((c) => `p.${c}`));
  return row as PaymentCandidate | undefined;
}

/** The closest succeeded refund of the line's amount and currency, within the window, that no line has matched. */
async function refundByAmountAndTime(trx: Knex.Transaction, l: LineRow, rules: SettlementRules): Promise<RefundCandidate | undefined> {
  const windowMs = rules.matchWindowHours * 3_600_000;
  const row = await trx('refunds as r')
    .where({ 'r.status': 'succeeded', 'r.currency': l.currency, 'r.amount': -Number(l.amount) })
    .whereBetween('r.updated_at', [new Date(l.created.getTime() - windowMs), new Date(l.created.getTime() + windowMs)])
    .whereNotExists((q) => q.select(trx.raw('1')).from('settlement_lines as l').whereRaw('l.refund_id = r.id'))
    .orderByRaw('abs(extract(epoch from r.updated_at - ?::timestamptz)), r.id', [l.created])
    .first('r.id', 'r.organisation_id', 'r.payment_id', 'r.amount', 'r.currency', 'r.status', 'r.psp_refund_id');
  return row as RefundCandidate | undefined;
}
