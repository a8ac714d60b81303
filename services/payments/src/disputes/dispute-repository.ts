import { randomUUID } from 'node:crypto';
import { newestFirst, type Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { DisputeSnapshot, PspDisputeStatus } from '../psp/payment-provider.js';
import { postDisputeMovements } from './dispute-postings.js';
import { disputeView } from './dispute-view.js';

export interface Dispute {
  id: string;
  paymentId: string;
  organisationId: string;
  pspDisputeId: string;
  amount: number;
  currency: Currency;
  reason: string;
  status: PspDisputeStatus;
  evidenceDueBy: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  payment_id: string;
  organisation_id: string;
  psp_dispute_id: string;
  amount: string;
  currency: Currency;
  reason: string;
  status: PspDisputeStatus;
  evidence_due_by: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toDispute = (r: Row): Dispute => ({
  id: r.id,
  paymentId: r.payment_id,
  organisationId: r.organisation_id,
  pspDisputeId: r.psp_dispute_id,
  amount: Number(r.amount),
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  evidenceDueBy: r.evidence_due_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** How far a dispute has come: a status is never replaced by one of a lower rank (events arrive in any order). */
const RANK: Record<PspDisputeStatus, number> = {
  warning_needs_response: 0,
  needs_response: 0,
  warning_under_review: 1,
  under_review: 1,
  warning_closed: 2,
  won: 2,
  lost: 2,
};

/** The status after seeing `seen`: it, unless the dispute is already further (or decided). */
export function advance(current: PspDisputeStatus, seen: PspDisputeStatus): PspDisputeStatus {
  return RANK[seen] > RANK[current] ? seen : current;
}

/** The ministry's notice of a change: created when first seen, won or lost when decided. */
const NOTICES: Partial<Record<PspDisputeStatus, string>> = { won: 'dispute.won', lost: 'dispute.lost' };

/** Where a dispute change came from: a PSP event (recorded in psp_events, once), or the evidence call's answer. */
export interface DisputeOrigin {
  source: 'webhook' | 'evidence';
  pspEvent?: { id: string; type: string; created: Date };
}

export type Applied = { outcome: 'applied'; dispute: Dispute } | { outcome: 'duplicate' } | { outcome: 'no_payment' };

export function disputeRepository(knex: Knex) {
  return {
    /**
     * Takes in the PSP's view of a dispute, in one transaction: the dispute is created the first
     * time (whatever event brings it), its status only ever moves forward, every change is appended
     * to its history and told to the ministry (outbox), the ledger gets the movements its status
     * implies (each once), and the PSP event, if any, is recorded as handled. An event already
     * recorded is a `duplicate` and does nothing; a dispute on a payment that is not ours is
     * `no_payment`.
     */
    async apply(snapshot: DisputeSnapshot, origin: DisputeOrigin): Promise<Applied> {
      return knex.transaction(async (trx) => {
        if (origin.pspEvent) {
          const recorded = await trx('psp_events')
            .insert({ id: origin.pspEvent.id, type: origin.pspEvent.type, created: origin.pspEvent.created, outcome: 'applied' })
            .onConflict('id')
            .ignore()
            .returning('id');
          if (recorded.length === 0) return { outcome: 'duplicate' } as const;
        }
        const payment = snapshot.paymentIntentId ? await trx('payments').where({ psp_payment_intent_id: snapshot.paymentIntentId }).first<{ id: string; organisation_id: string } | undefined>('id', 'organisation_id') : undefined;
        if (!payment) {
          if (origin.pspEvent) await trx('psp_events').where({ id: origin.pspEvent.id }).update({ outcome: 'ignored' });
          return { outcome: 'no_payment' } as const;
        }
        const [inserted] = await trx('disputes')
          .insert({
            id: randomUUID(),
            payment_id: payment.id,
            organisation_id: payment.organisation_id,
            psp_dispute_id: snapshot.disputeId,
            amount: snapshot.amount.amount,
            currency: snapshot.amount.currency,
            reason: snapshot.reason,
            status: snapshot.status,
            evidence_due_by: snapshot.evidenceDueBy,
          })
          .onConflict('psp_dispute_id')
          .ignore()
          .returning<Row[]>('*');
        const current = inserted ?? (await trx('disputes').where({ psp_dispute_id: snapshot.disputeId }).forUpdate().first<Row>());
        if (!current) throw new Error(`dispute ${snapshot.disputeId} conflicted on insert but cannot be found`);
        const from = inserted ? null : current.status;
        const to = inserted ? current.status : advance(current.status, snapshot.status);
        let row = current;
        if (!inserted && to !== from) {
          [row] = (await trx('disputes').where({ id: current.id }).update({ status: to, evidence_due_by: snapshot.evidenceDueBy, updated_at: trx.fn.now() }).returning<Row[]>('*')) as [Row];
        }
        const dispute = toDispute(row);
        if (to !== from) {
          const [event] = await trx('dispute_events')
            .insert({ dispute_id: dispute.id, psp_event_id: origin.pspEvent?.id ?? null, source: origin.source, from_status: from, to_status: to })
            .returning<{ at: Date }[]>('at');
          const notices = [...(from === null ? ['dispute.created'] : []), ...(NOTICES[to] ? [NOTICES[to]] : [])];
          for (const type of notices) {
            await trx('outbox').insert({
              id: randomUUID(),
              payment_id: dispute.paymentId,
              organisation_id: dispute.organisationId,
              event_type: type,
              payload: { dispute: disputeView(dispute), event: { from_status: from, to_status: to, at: event!.at.toISOString() } },
            });
          }
        }
        await postDisputeMovements(trx, dispute, snapshot.fee, new Date());
        return { outcome: 'applied', dispute } as const;
      });
    },

    /** One organisation's disputes, newest first, a page at a time. */
    async list(organisationId: string, filter: { from?: Date | undefined; to?: Date | undefined }, limit: number, after?: { createdAt: Date; id: string }): Promise<Dispute[]> {
      const rows = await newestFirst(knex('disputes').where({ organisation_id: organisationId }), { from: filter.from, to: filter.to, after, limit });
      return (rows as Row[]).map(toDispute);
    },

    /** One organisation's dispute; another organisation's is not found. */
    async find(organisationId: string, id: string): Promise<Dispute | undefined> {
      const row = await knex('disputes').where({ id, organisation_id: organisationId }).first<Row | undefined>();
      return row && toDispute(row);
    },

    /** A dispute's history, oldest first. */
    async events(id: string): Promise<Array<{ source: string; pspEventId: string | null; fromStatus: PspDisputeStatus | null; toStatus: PspDisputeStatus; at: Date }>> {
      const rows = await knex('dispute_events').where({ dispute_id: id }).orderBy('id');
      return rows.map((r: { source: string; psp_event_id: string | null; from_status: PspDisputeStatus | null; to_status: PspDisputeStatus; at: Date }) => ({ source: r.source, pspEventId: r.psp_event_id, fromStatus: r.from_status, toStatus: r.to_status, at: r.at }));
    },
  };
}

export type DisputeRepository = ReturnType<typeof disputeRepository>;
