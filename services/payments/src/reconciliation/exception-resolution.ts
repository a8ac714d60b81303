import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { pspReceivable, reconciliationDifferences, treasuryBank, unidentifiedReceipts } from '../ledger/chart-of-accounts.js';
import { ledgerDay, postJournalEntry, type PostingInput } from '../ledger/ledger.js';
import type { ExceptionKind } from './exceptions.js';

/**
 * The work queue's actions on an exception, by finance staff, each recorded in the exception's
 * append-only history with who, when and why:
 * - assign (to a finance officer), comment;
 * - resolve as a manual match: the officer names what the item matches (a payment, a payout, a
 *   bank entry...) and why; resolved at once, nothing posted (the records agree once matched);
 * - resolve as a write-off: asked by one officer, then approved by another (four eyes; the same
 *   officer cannot approve their own) — only then is the correcting entry posted (WRITE_OFFS) and
 *   the exception resolved; or rejected, back to the queue.
 * Every action takes the exception's row lock: two officers acting at once are serialised.
 */

export type ExceptionStatus = 'open' | 'assigned' | 'awaiting_approval' | 'resolved';

export interface ExceptionRow {
  id: string;
  kind: ExceptionKind;
  status: ExceptionStatus;
  organisation_id: string | null;
  currency: Currency | null;
  amount: string | null;
  expected_amount: string | null;
  payment_id: string | null;
  refund_id: string | null;
  dispute_id: string | null;
  payout_id: string | null;
  balance_transaction_id: string | null;
  bank_entry_id: string | null;
  details: Record<string, unknown>;
  assigned_to: string | null;
  raised_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
}

export interface ExceptionEvent {
  action: string;
  actor: string;
  reason: string | null;
  data: Record<string, unknown>;
  at: Date;
}

/** What a manual match names: at least one of our records or the PSP's or the bank's. */
export interface ManualMatch {
  paymentId?: string;
  refundId?: string;
  disputeId?: string;
  payoutId?: string;
  balanceTransactionId?: string;
  bankEntryId?: string;
}

/** Why an action was not taken. */
export type Refusal =
  | { refused: 'not_found' }
  | { refused: 'resolved' }
  | { refused: 'not_awaiting_approval' }
  | { refused: 'awaiting_approval' }
  | { refused: 'own_write_off' }
  | { refused: 'no_amount' };

export type Acted = { refused?: undefined; exception: ExceptionRow } | Refusal;

/**
 * The correcting entry of a write-off, per kind, for an exception of `amount` (what was seen) and
 * `expected` (what our records say), in minor units:
 * - amount_mismatch: the PSP's figure stands; psp_receivable moves by (amount − expected), against
 *   reconciliation_differences;
 * - missing_settlement: the expected amount will not come: psp_receivable −expected, written off;
 * - unknown_charge: the PSP holds money we cannot place: psp_receivable +amount, into
 *   unidentified_receipts (suspense);
 * - unmatched_bank_credit: the bank holds money no payout explains: treasury_bank +amount, into
 *   unidentified_receipts;
 * - unmatched_payout: a payout we posted never reached the bank: treasury_bank −amount, written off;
 * - duplicate_line: no money moved: nothing to post.
 * Undefined when the kind moves no money; throws NoAmount when the figures it needs are unknown.
 */
export function writeOffPostings(kind: ExceptionKind, currency: Currency | null, amount: number | null, expected: number | null): PostingInput[] | undefined {
  const need = (value: number | null) => {
    if (value === null || currency === null) throw new NoAmount();
    return value;
  };
  const pair = (debit: PostingInput['account'], credit: PostingInput['account'], value: number): PostingInput[] | undefined =>
    value === 0 ? undefined : [
      { account: debit, amount: value, currency: currency! },
      { account: credit, amount: -value, currency: currency! },
    ];
  switch (kind) {
    case 'amount_mismatch':
      return pair(pspReceivable(), reconciliationDifferences(), need(amount) - need(expected));
    case 'missing_settlement':
      return pair(reconciliationDifferences(), pspReceivable(), need(expected ?? amount));
    case 'unknown_charge':
      return pair(pspReceivable(), unidentifiedReceipts(), need(amount));
    case 'unmatched_bank_credit':
      return pair(treasuryBank(), unidentifiedReceipts(), need(amount));
    case 'unmatched_payout':
      return pair(reconciliationDifferences(), treasuryBank(), need(amount ?? expected));
    case 'duplicate_line':
      return undefined;
    default:
      // A kind added without its write-off: refuse rather than post a guess.
      throw new NoAmount();
  }
}

export class NoAmount extends Error {
  override name = 'NoAmount';
}

export function exceptionWorkQueue(knex: Knex, { now = () => new Date() }: { now?: () => Date } = {}) {
  /** Runs `act` on the exception under its row lock, recording `action` if it answers a row. */
  async function withLock(id: string, act: (trx: Knex.Transaction, current: ExceptionRow) => Promise<Acted>): Promise<Acted> {
    return knex.transaction(async (trx) => {
      const current = await trx('reconciliation_exceptions').where({ id }).forUpdate().first<ExceptionRow | undefined>();
      if (!current) return { refused: 'not_found' };
      return act(trx, current);
    });
  }

  async function record(trx: Knex.Transaction, id: string, action: string, actor: string, reason: string | null, data: Record<string, unknown> = {}) {
    await trx('reconciliation_exception_events').insert({ exception_id: id, action, actor, reason, data });
  }

  async function move(trx: Knex.Transaction, id: string, changes: Partial<ExceptionRow>): Promise<ExceptionRow> {
    const [row] = await trx('reconciliation_exceptions').where({ id }).update({ ...changes, updated_at: trx.fn.now() }).returning<ExceptionRow[]>('*');
    return row!;
  }

  return {
    async find(id: string): Promise<{ exception: ExceptionRow; history: ExceptionEvent[] } | undefined> {
      const exception = await knex('reconciliation_exceptions').where({ id }).first<ExceptionRow | undefined>();
      if (!exception) return undefined;
      const history = await knex('reconciliation_exception_events').where({ exception_id: id }).orderBy('id').select<ExceptionEvent[]>('action', 'actor', 'reason', 'data', 'at');
      return { exception, history };
    },

    assign(id: string, actor: string, assignee: string, reason: string | null): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        if (current.status === 'resolved') return { refused: 'resolved' };
        await record(trx, id, 'assigned', actor, reason, { assignee });
        // Reassigning a write-off that awaits approval keeps it awaiting: the approval is still due.
        return { exception: await move(trx, id, { assigned_to: assignee, status: current.status === 'awaiting_approval' ? 'awaiting_approval' : 'assigned' }) };
      });
    },

    comment(id: string, actor: string, text: string): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        await record(trx, id, 'commented', actor, text);
        return { exception: await move(trx, id, { status: current.status }) };
      });
    },

    resolveByMatch(id: string, actor: string, reason: string, matched: ManualMatch): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        if (current.status === 'resolved') return { refused: 'resolved' };
        if (current.status === 'awaiting_approval') return { refused: 'awaiting_approval' };
        await record(trx, id, 'resolved', actor, reason, { resolution: 'manual_match', matched });
        return { exception: await move(trx, id, { status: 'resolved', resolved_at: now() }) };
      });
    },

    /** Asks for a write-off: the exception waits for a second officer's approval; nothing is posted yet. */
    requestWriteOff(id: string, actor: string, reason: string): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        if (current.status === 'resolved') return { refused: 'resolved' };
        if (current.status === 'awaiting_approval') return { refused: 'awaiting_approval' };
        try {
          writeOffPostings(current.kind, current.currency, numberOrNull(current.amount), numberOrNull(current.expected_amount));
        } catch (error) {
          if (error instanceof NoAmount) return { refused: 'no_amount' };
          throw error;
        }
        await record(trx, id, 'write_off_requested', actor, reason);
        return { exception: await move(trx, id, { status: 'awaiting_approval' }) };
      });
    },

    /** A second officer approves a write-off: the correcting entry is posted and the exception resolved, in one transaction. */
    approveWriteOff(id: string, actor: string, reason: string | null): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        if (current.status !== 'awaiting_approval') return current.status === 'resolved' ? { refused: 'resolved' } : { refused: 'not_awaiting_approval' };
        const requested = await trx('reconciliation_exception_events').where({ exception_id: id, action: 'write_off_requested' }).orderBy('id', 'desc').first<{ actor: string }>('actor');
        if (requested?.actor === actor) return { refused: 'own_write_off' };
        const postings = writeOffPostings(current.kind, current.currency, numberOrNull(current.amount), numberOrNull(current.expected_amount));
        let entryId: string | null = null;
        if (postings) {
          const posted = await postJournalEntry(trx, {
            sourceType: 'exception_write_off',
            sourceId: id,
            description: `Write-off of reconciliation exception ${id} (${current.kind}), requested by ${requested?.actor ?? 'unknown'}, approved by ${actor}`,
            effectiveDate: ledgerDay(now()),
            postings,
          });
          entryId = posted.entry.id;
        }
        await record(trx, id, 'approved', actor, reason, { journal_entry_id: entryId });
        await record(trx, id, 'resolved', actor, reason, { resolution: 'write_off', requested_by: requested?.actor ?? null, approved_by: actor, journal_entry_id: entryId });
        return { exception: await move(trx, id, { status: 'resolved', resolved_at: now() }) };
      });
    },

    /** A second officer rejects a write-off: back to the queue (assigned if it was), nothing posted. */
    rejectWriteOff(id: string, actor: string, reason: string): Promise<Acted> {
      return withLock(id, async (trx, current) => {
        if (current.status !== 'awaiting_approval') return current.status === 'resolved' ? { refused: 'resolved' } : { refused: 'not_awaiting_approval' };
        await record(trx, id, 'write_off_rejected', actor, reason);
        return { exception: await move(trx, id, { status: current.assigned_to ? 'assigned' : 'open' }) };
      });
    },
  };
}

const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

export type ExceptionWorkQueue = ReturnType<typeof exceptionWorkQueue>;
