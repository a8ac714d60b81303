import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';

/** A query runner: the knex instance or a transaction. */
type Db = Knex | Knex.Transaction;

/** What did not match. New checks add their kind here, with a line on what it means. */
export type ExceptionKind =
  /** A settlement line and our record of the same payment, refund or dispute differ in amount (or fee). */
  | 'amount_mismatch'
  /** The PSP settled a charge (refund, dispute) we have no record of. */
  | 'unknown_charge'
  /** A succeeded payment (refund...) has no settlement line after the configured number of days. */
  | 'missing_settlement'
  /** The same settlement line (balance transaction) seen twice with different contents. */
  | 'duplicate_line'
  /** A bank statement credit that no payout explains. */
  | 'unmatched_bank_credit'
  /** A payout the PSP says it paid that no bank statement credit shows. */
  | 'unmatched_payout';

export interface RaisedException {
  kind: ExceptionKind;
  /**
   * Names the mismatch so that the same check over the same data raises it once: e.g.
   * `amount_mismatch:txn_123`. A different mismatch of the same thing gets its own key.
   */
  dedupeKey: string;
  organisationId?: string | null;
  currency?: Currency | null;
  amount?: number | null;
  expectedAmount?: number | null;
  paymentId?: string | null;
  refundId?: string | null;
  disputeId?: string | null;
  payoutId?: string | null;
  balanceTransactionId?: string | null;
  bankEntryId?: string | null;
  /** Anything a finance officer needs to understand it (the line, the dates, the rule that failed). */
  details?: Record<string, unknown>;
}

/**
 * Raises an exception for finance staff, once per `dedupeKey` (a rerun of a check raises nothing
 * new), with its first audit event (`raised`, by `system`). Answers the exception's id and whether
 * this call raised it. Run it in the transaction of the check's other writes when it has one.
 */
export async function raiseException(db: Db, raised: RaisedException): Promise<{ id: string; raised: boolean }> {
  const [row] = await db('reconciliation_exceptions')
    .insert({
      id: randomUUID(),
      kind: raised.kind,
      dedupe_key: raised.dedupeKey,
      organisation_id: raised.organisationId ?? null,
      currency: raised.currency ?? null,
      amount: raised.amount ?? null,
      expected_amount: raised.expectedAmount ?? null,
      payment_id: raised.paymentId ?? null,
      refund_id: raised.refundId ?? null,
      dispute_id: raised.disputeId ?? null,
      payout_id: raised.payoutId ?? null,
      balance_transaction_id: raised.balanceTransactionId ?? null,
      bank_entry_id: raised.bankEntryId ?? null,
      details: raised.details ?? {},
    })
    .onConflict('dedupe_key')
    .ignore()
    .returning<Array<{ id: string }>>('id');
  if (!row) {
    const existing = await db('reconciliation_exceptions').where({ dedupe_key: raised.dedupeKey }).first<{ id: string }>('id');
    return { id: existing!.id, raised: false };
  }
  await db('reconciliation_exception_events').insert({ exception_id: row.id, action: 'raised', actor: 'system', data: raised.details ?? {} });
  return { id: row.id, raised: true };
}
