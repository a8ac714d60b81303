import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { findEntry } from '../ledger/ledger.js';
import { postPayout, postPayoutFailure, type PayoutForLedger } from '../ledger/payout-postings.js';
import type { PayoutSnapshot, PayoutStatus } from '../psp/payment-provider.js';

/** A PSP payout into the treasury's bank account, as last reported (migration 0007): the PSP's snapshot, stored. */
export interface Payout extends Omit<PayoutSnapshot, 'payoutId' | 'amount'> {
  id: string;
  amount: number;
  currency: Currency;
  recordedAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  amount: string;
  currency: Currency;
  status: PayoutStatus;
  arrival_date: string;
  created: Date;
  automatic: boolean;
  balance_transaction_id: string | null;
  destination: string | null;
  statement_descriptor: string | null;
  trace_id: string | null;
  failure_code: string | null;
  recorded_at: Date;
  updated_at: Date;
}

const toPayout = (r: Row): Payout => ({
  id: r.id,
  amount: Number(r.amount),
  currency: r.currency,
  status: r.status,
  arrivalDate: r.arrival_date,
  created: r.created,
  automatic: r.automatic,
  balanceTransactionId: r.balance_transaction_id,
  destination: r.destination,
  statementDescriptor: r.statement_descriptor,
  traceId: r.trace_id,
  failureCode: r.failure_code,
  recordedAt: r.recorded_at,
  updatedAt: r.updated_at,
});

/**
 * How far along a payout is: pending < in_transit < paid < failed, canceled. A status is only
 * ever moved forward, so events in any order end in the PSP's latest: `failed` after `paid` is a
 * payout the bank returned; `paid` after `failed` is a late event and changes nothing.
 */
const RANK: Record<PayoutStatus, number> = { pending: 0, in_transit: 1, paid: 2, failed: 3, canceled: 3 };

export function advancePayout(current: PayoutStatus, seen: PayoutStatus): PayoutStatus {
  return RANK[seen] > RANK[current] ? seen : current;
}

export type PayoutApplied = { outcome: 'applied'; payout: Payout; posted: Array<'payout' | 'payout_failure'> } | { outcome: 'duplicate' };

const forLedger = (p: Payout): PayoutForLedger => ({ id: p.id, amount: p.amount, currency: p.currency, arrivalDate: p.arrivalDate });

export function payoutRepository(knex: Knex) {
  // The arrival date as its text (YYYY-MM-DD), never a Date shifted by the process's time zone.
  const select = (db: Knex | Knex.Transaction) => db('payouts').select('*', db.raw('arrival_date::text as arrival_date'));

  /** Stores the payout the first time, moves its status only forward and posts what it implies (each entry once); `late` when the PSP's view is behind ours. */
  async function takeIn(trx: Knex.Transaction, snapshot: PayoutSnapshot, at: Date): Promise<{ payout: Payout; posted: Array<'payout' | 'payout_failure'>; late: boolean }> {
    await trx('payouts')
      .insert({
        id: snapshot.payoutId,
        amount: snapshot.amount.amount,
        currency: snapshot.amount.currency,
        status: snapshot.status,
        arrival_date: snapshot.arrivalDate,
        created: snapshot.created,
        automatic: snapshot.automatic,
        balance_transaction_id: snapshot.balanceTransactionId,
        destination: snapshot.destination,
        statement_descriptor: snapshot.statementDescriptor,
        trace_id: snapshot.traceId,
        failure_code: snapshot.failureCode,
      })
      .onConflict('id')
      .ignore();
    const current = await select(trx).where({ id: snapshot.payoutId }).forUpdate().first<Row | undefined>();
    if (!current) throw new Error(`payout ${snapshot.payoutId} conflicted on insert but cannot be found`);
    let row = current;
    const to = advancePayout(current.status, snapshot.status);
    if (to !== current.status) {
      await trx('payouts').where({ id: current.id }).update({ status: to, trace_id: snapshot.traceId ?? current.trace_id, failure_code: snapshot.failureCode, updated_at: trx.fn.now() });
      row = (await select(trx).where({ id: current.id }).first<Row>()) ?? current;
    }
    const payout = toPayout(row);
    const posted: Array<'payout' | 'payout_failure'> = [];
    if (payout.status === 'paid') {
      if ((await postPayout(trx, forLedger(payout))).outcome === 'posted') posted.push('payout');
    } else if (payout.status === 'failed' && (await findEntry(trx, 'payout', payout.id))) {
      if ((await postPayoutFailure(trx, forLedger(payout), at)).outcome === 'posted') posted.push('payout_failure');
    }
    return { payout, posted, late: to === current.status && to !== snapshot.status };
  }

  return {
    /**
     * Takes in the PSP's view of a payout from one of its events, in one transaction: the event is
     * recorded in psp_events (a second delivery is a `duplicate` and does nothing), the payout
     * stored the first time and its status moved only forward, and the ledger given what its
     * status implies, each entry once: `paid` posts the payout (treasury_bank ← psp_receivable);
     * `failed` reverses it if it was posted (the bank returned a paid payout), and posts nothing if
     * it never was; `canceled` posts nothing. `posted` names the entries this call wrote.
     */
    async apply(snapshot: PayoutSnapshot, pspEvent: { id: string; type: string; created: Date }): Promise<PayoutApplied> {
      return knex.transaction(async (trx) => {
        const recorded = await trx('psp_events').insert({ id: pspEvent.id, type: pspEvent.type, created: pspEvent.created, outcome: 'applied' }).onConflict('id').ignore().returning('id');
        if (recorded.length === 0) return { outcome: 'duplicate' } as const;
        const taken = await takeIn(trx, snapshot, pspEvent.created);
        // A late event (the payout is further along): nothing to do.
        if (taken.late) await trx('psp_events').where({ id: pspEvent.id }).update({ outcome: 'ignored' });
        return { outcome: 'applied', payout: taken.payout, posted: taken.posted } as const;
      });
    },

    /**
     * Takes in the PSP's view of a payout read from its API (reconciliation's pull, or a settlement
     * report's payout), in `trx`: as `apply` does for an event — stored the first time, its status
     * moved only forward, the ledger given what its status implies, each entry once (the same
     * sources as the webhook's, so a payout the webhook brings too is never posted twice) — without
     * an event to record. `at` dates a failure's reversal.
     */
    async record(trx: Knex.Transaction, snapshot: PayoutSnapshot, at: Date): Promise<{ payout: Payout; posted: Array<'payout' | 'payout_failure'> }> {
      const { payout, posted } = await takeIn(trx, snapshot, at);
      return { payout, posted };
    },

    /** A payout by the PSP's id. */
    async byId(id: string): Promise<Payout | undefined> {
      const row = await select(knex).where({ id }).first<Row | undefined>();
      return row && toPayout(row);
    },

    /** Payouts arriving from `from` to `to` (YYYY-MM-DD, both included), oldest first: for reconciliation. */
    async arriving(from: string, to: string): Promise<Payout[]> {
      const rows = await select(knex).whereBetween('arrival_date', [from, to]).orderBy([{ column: 'arrival_date' }, { column: 'created' }]);
      return (rows as Row[]).map(toPayout);
    },
  };
}

export type PayoutRepository = ReturnType<typeof payoutRepository>;
