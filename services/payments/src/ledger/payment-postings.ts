import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
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

/** What a refund posting needs to know of the refund (refunds/refund-repository.ts). */
export interface RefundForLedger {
  id: string;
  paymentId: string;
  organisationId: string;
  amount: number;
  currency: Currency;
  updatedAt: Date;
}

/**
 * A refund succeeded: the PSP gives its amount back to the citizen's card, so it owes us that much
 * less (credit psp_receivable), and we owe the ministry that much less (debit its revenue). Run in
 * the transaction that moves the refund to succeeded; posted at most once per refund (source
 * 'refund', its id).
 */
export function postRefundSucceeded(trx: Knex.Transaction, refund: RefundForLedger): Promise<Posted> {
  return postJournalEntry(trx, {
    sourceType: 'refund',
    sourceId: refund.id,
    description: `Refund ${refund.id} of payment ${refund.paymentId} succeeded`,
    effectiveDate: ledgerDay(refund.updatedAt),
    postings: [
      { account: ministryRevenue(refund.organisationId), amount: refund.amount, currency: refund.currency },
      { account: pspReceivable(), amount: -refund.amount, currency: refund.currency },
    ],
  });
}
