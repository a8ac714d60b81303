import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Payment, PaymentEventRecord } from '../payments/payment-repository.js';
import { paymentEventView, paymentView } from '../payments/payment-view.js';

/** A notice's type: `payment.<status it moved to>` (payment.created, payment.succeeded, …). */
export const paymentEventType = (payment: Payment) => `payment.${payment.status}`;

/**
 * Writes the notice of a payment's change to the outbox, inside `trx` (the transaction that made
 * the change): the payment as the API shows it then, and the event. `publicUrl` gives the
 * payment's `next_url` while it can be paid; without it the notice has none.
 */
export async function recordInOutbox(trx: Knex.Transaction, payment: Payment, event: PaymentEventRecord, publicUrl?: string): Promise<void> {
  const shown = paymentView(payment, publicUrl ?? '');
  if (publicUrl === undefined) delete (shown as { next_url?: string }).next_url;
  await trx('outbox').insert({
    id: randomUUID(),
    payment_id: payment.id,
    organisation_id: payment.organisationId,
    event_type: paymentEventType(payment),
    payload: { payment: shown, event: paymentEventView(event) },
  });
}

/**
 * Writes a notice of another change of a ministry's payment (a refund's, for instance) to the
 * outbox, inside `trx`, the transaction that made the change: it is delivered in order with the
 * payment's own notices, as `{ id, type, created_at, data: payload }`.
 */
export async function recordNoticeInOutbox(trx: Knex.Transaction, notice: { paymentId: string; organisationId: string; eventType: string; payload: Record<string, unknown> }): Promise<void> {
  await trx('outbox').insert({ id: randomUUID(), payment_id: notice.paymentId, organisation_id: notice.organisationId, event_type: notice.eventType, payload: notice.payload });
}
