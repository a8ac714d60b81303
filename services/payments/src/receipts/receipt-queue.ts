import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Payment } from '../payments/payment-repository.js';
import type { ReceiptLanguage } from './receipt-text.js';

export type ReceiptChannel = 'sms' | 'email';

/**
 * The language of a payment's receipt. Payments do not store the citizen's language yet (the page
 * takes ar or en from the request): until they do, both, Arabic first.
 */
export const receiptLanguageOf = (_payment: Payment): ReceiptLanguage => 'ar+en';

/**
 * Queues a succeeded payment's receipts, inside `trx` (the transaction that moved it to
 * succeeded): one per contact the ministry gave, none without. The receipt relay sends them. A
 * second call for the same payment adds nothing (one receipt per payment and channel).
 */
export async function queueReceipt(trx: Knex.Transaction, payment: Payment): Promise<void> {
  const language = receiptLanguageOf(payment);
  const rows = [
    ...(payment.phoneNumber ? [{ channel: 'sms' as const, address: payment.phoneNumber }] : []),
    ...(payment.email ? [{ channel: 'email' as const, address: payment.email }] : []),
  ].map((r) => ({ id: randomUUID(), payment_id: payment.id, language, ...r }));
  if (rows.length) await trx('receipts').insert(rows).onConflict(['payment_id', 'channel']).ignore();
}
