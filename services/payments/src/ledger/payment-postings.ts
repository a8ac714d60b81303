import type { Knex } from '@tamkeen/db';
import type { Payment } from '../payments/payment-repository.js';
import { ministryRevenue, pspReceivable } from './chart-of-accounts.js';
import { ledgerDay, postJournalEntry, type Posted } from './ledger.js';

/**
 * A payment succeeded: the PSP now owes us its amount, and we owe it to the ministry. Run in the
 * transaction that moves the payment to succeeded (payment-repository.ts), so neither can exist
 * without the other; posted at most once per payment (source 'payment', its id).
 */
export function postPaymentSucceeded(trx: Knex.Transaction, payment: Payment): Promise<Posted> {
  return postJournalEntry(trx, {
    sourceType: 'payment',
    sourceId: payment.id,
    description: `Payment ${payment.reference} succeeded: ${payment.description}`,
    effectiveDate: ledgerDay(payment.updatedAt),
    postings: [
      { account: pspReceivable(), amount: payment.amount, currency: payment.currency },
      { account: ministryRevenue(payment.organisationId), amount: -payment.amount, currency: payment.currency },
    ],
  });
}
