import { randomUUID } from 'node:crypto';
import { newestFirst, type Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { postPaymentSucceeded } from '../ledger/payment-postings.js';
import { queueReceipt } from '../receipts/receipt-queue.js';
import { recordInOutbox } from '../webhooks/outbox.js';
import { outcomeOf, PAYMENT_EVENTS, type PaymentEvent, type PaymentStatus } from './payment-state.js';

export interface Payment {
  id: string;
  organisationId: string;
  clientId: string;
  amount: number;
  currency: Currency;
  reference: string;
  description: string;
  returnUrl: string;
  email: string | null;
  phoneNumber: string | null;
  metadata: Record<string, string>;
  status: PaymentStatus;
  pspPaymentIntentId: string | null;
  paidBy: string | null;
  /** The PSP's processing fee on the payment's charge (minor units), once known: set with its success (migration 0007). */
  pspFee: number | null;
  /** The PSP's payout that paid the payment out, and its arrival date (YYYY-MM-DD): set by reconciliation (settlements/, migration 0011). */
  payoutId: string | null;
  settledDate: string | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  organisation_id: string;
  client_id: string;
  amount: string;
  currency: Currency;
  reference: string;
  description: string;
  return_url: string;
  email: string | null;
  phone_number: string | null;
  metadata: Record<string, string>;
  status: PaymentStatus;
  psp_payment_intent_id: string | null;
  paid_by: string | null;
  psp_fee: string | null;
  payout_id: string | null;
  settled_date: Date | string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** A date column as its day (YYYY-MM-DD): node-postgres reads a date as local midnight, so its local parts are the day. */
const dayOf = (value: Date | string | null): string | null => {
  if (value === null || typeof value === 'string') return value;
  return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
};

/**
 * Payments with their settlement (the view payment_settlements, migration 0013: what the charge's
 * settlement line says — the payout that paid it out and the day it reached the bank; the first
 * line's, for a payment charged twice), for the reads that show a payment. A payment moving
 * through its states is not settled yet, so the transitions read `payments` alone.
 */
const withSettlement = (db: Knex) =>
  db('payments')
    .joinRaw('left join lateral (select s.payout_id, s.settled_date from payment_settlements s where s.payment_id = payments.id order by s.line_id limit 1) as payment_settlements on true')
    .select('payments.*', 'payment_settlements.payout_id', 'payment_settlements.settled_date');

const toPayment = (r: Row): Payment => ({
  id: r.id,
  organisationId: r.organisation_id,
  clientId: r.client_id,
  amount: Number(r.amount),
  currency: r.currency,
  reference: r.reference,
  description: r.description,
  returnUrl: r.return_url,
  email: r.email,
  phoneNumber: r.phone_number,
  metadata: r.metadata,
  status: r.status,
  pspPaymentIntentId: r.psp_payment_intent_id,
  paidBy: r.paid_by,
  pspFee: r.psp_fee === null ? null : Number(r.psp_fee),
  payoutId: r.payout_id ?? null,
  settledDate: dayOf(r.settled_date ?? null),
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type NewPayment = Pick<Payment, 'organisationId' | 'clientId' | 'amount' | 'currency' | 'reference' | 'description' | 'returnUrl' | 'email' | 'phoneNumber' | 'metadata'> & {
  expiresAt: Date;
  idempotencyKey: string;
  requestHash: string;
};

/** What a create did: made the payment, found it made by the same request before, or found the key used by another request. */
export type Created = { outcome: 'created' | 'repeated' | 'key reused'; payment: Payment };

export interface PaymentFilter {
  status?: PaymentStatus;
  reference?: string;
  from?: Date;
  to?: Date;
  /** Settled (paid out by the PSP) on or after / on or before these days (YYYY-MM-DD). */
  settledDateFrom?: string;
  settledDateTo?: string;
}

export interface PaymentEventRecord {
  /** A transition, the creation, or `login`: the citizen logged in to pay (recordPayer; the status does not move). */
  event: PaymentEvent | 'create' | 'login';
  fromStatus: PaymentStatus | null;
  toStatus: PaymentStatus;
  data: Record<string, unknown>;
  at: Date;
}

/** What an event did: the payment after it, and whether it moved the payment now, had already, or was refused. */
export type TransitionResult = { outcome: 'applied' | 'already' | 'refused'; payment: Payment } | { outcome: 'not_found' };

/** Work done inside a transition's transaction once its event is applied: it commits or rolls back with the move. */
export type OnApplied = (trx: Knex.Transaction, payment: Payment) => Promise<unknown>;

/**
 * What an applied event always does besides moving the payment, whoever applies it (the payment
 * page, a PSP webhook, a sweep): a payment that succeeds is posted to the ledger in the same
 * transaction, so a succeeded payment without its journal entry, or an entry without a succeeded
 * payment, cannot exist; and its receipts to the citizen are queued with it (receipts/receipt-queue.ts).
 */
const EFFECTS: Partial<Record<PaymentEvent, OnApplied>> = {
  succeed: async (trx, payment) => {
    await postPaymentSucceeded(trx, payment);
    await queueReceipt(trx, payment);
  },
};

/**
 * Payments in PostgreSQL: created with their first event; every later change is a transition.
 * Creation and every applied transition also write the change's notice to the outbox in their
 * transaction, for the ministry's webhook (webhooks/outbox-relay.ts); `publicUrl` gives the
 * notices' `next_url`.
 */
export function paymentRepository(knex: Knex, { publicUrl }: { publicUrl?: string } = {}) {
  return {
    /**
     * Creates the payment once per Idempotency-Key: one statement decides a race between requests
     * with the same key (the loser inserts nothing and gets the first request's payment).
     */
    async create(payment: NewPayment): Promise<Created> {
      return knex.transaction(async (trx) => {
        const [row] = await trx('payments')
          .insert({
            id: randomUUID(),
            organisation_id: payment.organisationId,
            client_id: payment.clientId,
            amount: payment.amount,
            currency: payment.currency,
            reference: payment.reference,
            description: payment.description,
            return_url: payment.returnUrl,
            email: payment.email,
            phone_number: payment.phoneNumber,
            metadata: payment.metadata,
            expires_at: payment.expiresAt,
            idempotency_key: payment.idempotencyKey,
            request_hash: payment.requestHash,
          })
          .onConflict(['organisation_id', 'idempotency_key'])
          .ignore()
          .returning<Row[]>('*');
        if (!row) {
          const first = await trx('payments').where({ organisation_id: payment.organisationId, idempotency_key: payment.idempotencyKey }).first<Row & { request_hash: string }>();
          if (!first) throw new Error('an insert that conflicted on its Idempotency-Key found no payment with that key');
          return { outcome: first.request_hash === payment.requestHash ? 'repeated' : 'key reused', payment: toPayment(first) };
        }
        const [created] = await trx('payment_events').insert({ payment_id: row.id, event: 'create', from_status: null, to_status: 'created' }).returning<{ at: Date }[]>('at');
        const made = toPayment(row);
        await recordInOutbox(trx, made, { event: 'create', fromStatus: null, toStatus: 'created', data: {}, at: created!.at }, publicUrl);
        return { outcome: 'created', payment: made };
      });
    },

    /** Newest first, a page at a time: `after` is the last payment of the previous page. */
    async list(organisationId: string, filter: PaymentFilter, limit: number, after?: { createdAt: Date; id: string }): Promise<Payment[]> {
      const query = withSettlement(knex).where({ organisation_id: organisationId });
      if (filter.status) query.where('status', filter.status);
      if (filter.reference) query.where('reference', filter.reference);
      if (filter.settledDateFrom) query.where('payment_settlements.settled_date', '>=', filter.settledDateFrom);
      if (filter.settledDateTo) query.where('payment_settlements.settled_date', '<=', filter.settledDateTo);
      const rows = await newestFirst(query, { from: filter.from, to: filter.to, after, limit });
      return (rows as Row[]).map(toPayment);
    },

    /** One organisation's payment; another organisation's is not found. */
    async find(organisationId: string, id: string): Promise<Payment | undefined> {
      const row = await withSettlement(knex).where({ id, organisation_id: organisationId }).first<Row | undefined>();
      return row && toPayment(row);
    },

    /**
     * Applies `event` to the payment under a row lock, so that racing events (a double-clicked pay
     * button, a webhook delivered twice, a confirmation racing expiry) end in exactly one outcome:
     * the first moves the payment and is recorded; the others find it `already` there or are `refused`.
     * `changes` are written with the move (e.g. the PSP's PaymentIntent id at submit). The event's
     * EFFECTS (the ledger entry of a success), then `onApplied`, run in the same transaction, only
     * when the event is applied: if they throw, the payment does not move.
     */
    async transition(id: string, event: PaymentEvent, { data = {}, changes = {}, onApplied }: { data?: Record<string, unknown>; changes?: Partial<Pick<Row, 'psp_payment_intent_id' | 'paid_by'> & { psp_fee: number; psp_balance_transaction_id: string }>; onApplied?: OnApplied } = {}): Promise<TransitionResult> {
      return knex.transaction(async (trx) => {
        const current = await trx('payments').where({ id }).forUpdate().first<Row | undefined>();
        if (!current) return { outcome: 'not_found' } as const;
        const outcome = outcomeOf(current.status, event);
        if (outcome !== 'applied') return { outcome, payment: toPayment(current) };
        const to = PAYMENT_EVENTS[event].to;
        const [moved] = await trx('payments').where({ id }).update({ ...changes, status: to, updated_at: trx.fn.now() }).returning<Row[]>('*');
        const [recorded] = await trx('payment_events').insert({ payment_id: id, event, from_status: current.status, to_status: to, data }).returning<{ at: Date }[]>('at');
        const payment = toPayment(moved!);
        await recordInOutbox(trx, payment, { event, fromStatus: current.status, toStatus: to, data, at: recorded!.at }, publicUrl);
        await EFFECTS[event]?.(trx, payment);
        await onApplied?.(trx, payment);
        return { outcome, payment };
      });
    },

    /**
     * Records who logged in to pay (the payment page's citizen login): `paid_by` becomes the
     * citizen's `sub`, and a `login` event (the status does not move) keeps the login's `data`
     * (sub, acr, amr, auth_time; never a national ID). Only while the payment can still be paid;
     * a later login replaces paid_by, and the history keeps both. No webhook notice: nothing moved.
     */
    async recordPayer(id: string, sub: string, data: Record<string, unknown>): Promise<{ outcome: 'recorded' | 'refused'; payment: Payment } | { outcome: 'not_found' }> {
      return knex.transaction(async (trx) => {
        const current = await trx('payments').where({ id }).forUpdate().first<Row | undefined>();
        if (!current) return { outcome: 'not_found' } as const;
        if (current.status !== 'created' && current.status !== 'started') return { outcome: 'refused', payment: toPayment(current) };
        const [updated] = await trx('payments').where({ id }).update({ paid_by: sub, updated_at: trx.fn.now() }).returning<Row[]>('*');
        await trx('payment_events').insert({ payment_id: id, event: 'login', from_status: current.status, to_status: current.status, data });
        return { outcome: 'recorded', payment: toPayment(updated!) };
      });
    },

    /** A payment by its id alone: for the citizen's payment page, whose URL is the capability. */
    async byId(id: string): Promise<Payment | undefined> {
      const row = await withSettlement(knex).where({ id }).first<Row | undefined>();
      return row && toPayment(row);
    },

    /** The payment submitted with this PSP PaymentIntent: for the PSP's events, which name the intent. */
    async byIntentId(intentId: string): Promise<Payment | undefined> {
      const row = await withSettlement(knex).where({ psp_payment_intent_id: intentId }).first<Row | undefined>();
      return row && toPayment(row);
    },

    /** A payment's history, oldest first. */
    async events(id: string): Promise<PaymentEventRecord[]> {
      const rows = await knex('payment_events').where({ payment_id: id }).orderBy('id');
      return rows.map((r: { event: PaymentEventRecord['event']; from_status: PaymentStatus | null; to_status: PaymentStatus; data: Record<string, unknown>; at: Date }) => ({ event: r.event, fromStatus: r.from_status, toStatus: r.to_status, data: r.data, at: r.at }));
    },

    /** Payments submitted to the PSP and not settled since `before`, oldest first: for the PSP sweep. */
    async submittedBefore(before: Date, limit: number): Promise<Payment[]> {
      const rows = await knex('payments').where({ status: 'submitted' }).andWhere('updated_at', '<', before).orderBy('updated_at').limit(limit);
      return (rows as Row[]).map(toPayment);
    },

    /** Unfinished payments past their time, oldest first: for the expiry sweep. */
    async dueToExpire(now: Date, limit: number): Promise<string[]> {
      return knex('payments').whereIn('status', ['created', 'started']).andWhere('expires_at', '<=', now).orderBy('expires_at').limit(limit).pluck('id');
    },
  };
}

export type PaymentRepository = ReturnType<typeof paymentRepository>;
