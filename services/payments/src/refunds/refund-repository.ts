import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { postRefundSucceeded } from '../ledger/payment-postings.js';
import { recordNoticeInOutbox } from '../webhooks/outbox.js';
import { refundView } from './refund-view.js';

export type RefundStatus = 'submitted' | 'succeeded' | 'failed';

export interface Refund {
  id: string;
  paymentId: string;
  organisationId: string;
  amount: number;
  currency: Currency;
  reason: string | null;
  status: RefundStatus;
  pspRefundId: string | null;
  failureCode: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  payment_id: string;
  organisation_id: string;
  amount: string;
  currency: Currency;
  reason: string | null;
  status: RefundStatus;
  psp_refund_id: string | null;
  failure_code: string | null;
  idempotency_key: string;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
}

const toRefund = (r: Row): Refund => ({
  id: r.id,
  paymentId: r.payment_id,
  organisationId: r.organisation_id,
  amount: Number(r.amount),
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  pspRefundId: r.psp_refund_id,
  failureCode: r.failure_code,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Submitted refunds hold their amount until they fail; succeeded ones have it for good. */
const HOLDING: RefundStatus[] = ['submitted', 'succeeded'];

export interface NewRefund {
  organisationId: string;
  paymentId: string;
  /** Omitted: all that is left. */
  amount?: number;
  reason: string | null;
  idempotencyKey: string;
  requestHash: string;
}

/** What a request for a refund came to. */
export type Reserved =
  | { outcome: 'created' | 'repeated' | 'key reused'; refund: Refund; intentId: string | null }
  | { outcome: 'payment not found' }
  | { outcome: 'not refundable'; status: string }
  | { outcome: 'fully refunded' }
  | { outcome: 'too much'; available: number };

/** What the PSP said of a refund: the move it makes. */
export type Settlement = { status: 'succeeded'; pspRefundId: string } | { status: 'failed'; pspRefundId: string | null; failureCode: string };

/** A payment's refunds in figures: refunded (succeeded), held by refunds in flight (submitted). */
export interface RefundTotals {
  succeeded: number;
  submitted: number;
}

/**
 * Refunds in PostgreSQL. A refund's amount is reserved under the payment's row lock (the lock a
 * payment's transitions take too): the refunds holding an amount (submitted or succeeded) are
 * summed and the new one inserted in that transaction, so two refunds racing for the same money
 * are serialised and the second sees the first. The PSP is asked after the reservation commits;
 * its answer settles the refund (`settle`), once.
 */
export function refundRepository(knex: Knex) {
  return {
    async reserve(input: NewRefund): Promise<Reserved> {
      return knex.transaction(async (trx) => {
        const payment = await trx('payments')
          .where({ id: input.paymentId, organisation_id: input.organisationId })
          .forUpdate()
          .first<{ id: string; amount: string; currency: Currency; status: string; psp_payment_intent_id: string | null } | undefined>('id', 'amount', 'currency', 'status', 'psp_payment_intent_id');
        if (!payment) return { outcome: 'payment not found' } as const;
        const intentId = payment.psp_payment_intent_id;
        const earlier = await trx('refunds').where({ organisation_id: input.organisationId, idempotency_key: input.idempotencyKey }).first<Row | undefined>();
        if (earlier) return { outcome: earlier.request_hash === input.requestHash ? 'repeated' : 'key reused', refund: toRefund(earlier), intentId };
        if (payment.status !== 'succeeded') return { outcome: 'not refundable', status: payment.status } as const;
        const held = await trx('refunds').where({ payment_id: payment.id }).whereIn('status', HOLDING).sum<{ sum: string | null }>({ sum: 'amount' }).first();
        const available = Number(payment.amount) - Number(held?.sum ?? 0);
        if (input.amount === undefined && available <= 0) return { outcome: 'fully refunded' } as const;
        const amount = input.amount ?? available;
        if (amount > available) return { outcome: 'too much', available } as const;
        const [row] = await trx('refunds')
          .insert({
            id: randomUUID(),
            payment_id: payment.id,
            organisation_id: input.organisationId,
            amount,
            currency: payment.currency,
            reason: input.reason,
            idempotency_key: input.idempotencyKey,
            request_hash: input.requestHash,
          })
          .onConflict(['organisation_id', 'idempotency_key'])
          .ignore()
          .returning<Row[]>('*');
        if (!row) {
          // The same key raced in on another payment: the first request's refund.
          const first = await trx('refunds').where({ organisation_id: input.organisationId, idempotency_key: input.idempotencyKey }).first<Row>();
          return { outcome: first.request_hash === input.requestHash ? 'repeated' : 'key reused', refund: toRefund(first), intentId };
        }
        return { outcome: 'created', refund: toRefund(row), intentId };
      });
    },

    /**
     * Moves a submitted refund to the PSP's answer under its row lock, once: a refund settled
     * before is returned as it is. In the same transaction, a success is posted to the ledger and
     * either move writes its notice (`refund.succeeded`, `refund.failed`) to the outbox.
     */
    async settle(id: string, settlement: Settlement): Promise<Refund | undefined> {
      return knex.transaction(async (trx) => {
        const current = await trx('refunds').where({ id }).forUpdate().first<Row | undefined>();
        if (!current || current.status !== 'submitted') return current && toRefund(current);
        const [moved] = await trx('refunds')
          .where({ id })
          .update({ status: settlement.status, psp_refund_id: settlement.pspRefundId, failure_code: settlement.status === 'failed' ? settlement.failureCode : null, updated_at: trx.fn.now() })
          .returning<Row[]>('*');
        const refund = toRefund(moved!);
        if (refund.status === 'succeeded') await postRefundSucceeded(trx, refund);
        await recordNoticeInOutbox(trx, {
          paymentId: refund.paymentId,
          organisationId: refund.organisationId,
          eventType: `refund.${refund.status}`,
          payload: { refund: refundView(refund), payment_id: refund.paymentId },
        });
        return refund;
      });
    },

    /** Keeps the PSP's id of a refund it answered `pending`, to read it later. */
    async notePspId(id: string, pspRefundId: string): Promise<void> {
      await knex('refunds').where({ id, status: 'submitted' }).whereNull('psp_refund_id').update({ psp_refund_id: pspRefundId, updated_at: knex.fn.now() });
    },

    /** One organisation's payment, as far as refunds need it; another's is not found. */
    async paymentOf(organisationId: string, paymentId: string): Promise<{ intentId: string | null; currency: Currency } | undefined> {
      const row = await knex('payments').where({ id: paymentId, organisation_id: organisationId }).first<{ psp_payment_intent_id: string | null; currency: Currency } | undefined>('psp_payment_intent_id', 'currency');
      return row && { intentId: row.psp_payment_intent_id, currency: row.currency };
    },

    /** Refunds submitted to the PSP and not settled since `before`, oldest first, with their payment's intent: for the PSP sweep. */
    async submittedBefore(before: Date, limit: number): Promise<Array<{ refund: Refund; intentId: string | null }>> {
      const rows = await knex('refunds as r')
        .join('payments as p', 'p.id', 'r.payment_id')
        .where('r.status', 'submitted')
        .andWhere('r.updated_at', '<', before)
        .orderBy('r.updated_at')
        .limit(limit)
        .select<Array<Row & { intent_id: string | null }>>('r.*', 'p.psp_payment_intent_id as intent_id');
      return rows.map((r) => ({ refund: toRefund(r), intentId: r.intent_id }));
    },

    /** One organisation's refund of one of its payments. */
    async find(organisationId: string, paymentId: string, id: string): Promise<Refund | undefined> {
      const row = await knex('refunds').where({ id, payment_id: paymentId, organisation_id: organisationId }).first<Row | undefined>();
      return row && toRefund(row);
    },

    /** A payment's refunds, oldest first. */
    async list(organisationId: string, paymentId: string): Promise<Refund[]> {
      const rows = await knex('refunds').where({ payment_id: paymentId, organisation_id: organisationId }).orderBy([{ column: 'created_at' }, { column: 'id' }]);
      return (rows as Row[]).map(toRefund);
    },

    /** The refund totals of payments (those without refunds are absent). */
    async totals(paymentIds: readonly string[]): Promise<Map<string, RefundTotals>> {
      const totals = new Map<string, RefundTotals>();
      if (paymentIds.length === 0) return totals;
      const rows = await knex('refunds').whereIn('payment_id', paymentIds).whereIn('status', HOLDING).groupBy('payment_id', 'status').select<Array<{ payment_id: string; status: RefundStatus; sum: string }>>('payment_id', 'status', knex.raw('sum(amount) as sum'));
      for (const r of rows) {
        const t = totals.get(r.payment_id) ?? { succeeded: 0, submitted: 0 };
        if (r.status === 'succeeded') t.succeeded += Number(r.sum);
        else t.submitted += Number(r.sum);
        totals.set(r.payment_id, t);
      }
      return totals;
    },
  };
}

export type RefundRepository = ReturnType<typeof refundRepository>;
