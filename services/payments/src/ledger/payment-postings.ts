import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { Payment } from '../payments/payment-repository.js';
import { ministryRevenue, pspFees, pspReceivable } from './chart-of-accounts.js';
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

/** What a card fee's posting needs to know: the PSP's processing fee on a payment's charge. */
export interface PspFeeForLedger {
  /** The charge's balance transaction at the PSP (`txn_…`): the entry's source id. */
  balanceTransactionId: string;
  paymentId: string;
  /** The ministry's reference of the payment, for the entry's description. */
  reference: string;
  /** The fee in minor units of `currency`: more than zero (a payment charged no fee has no entry). */
  fee: number;
  currency: Currency;
  /** When the payment succeeded: the entry's day. */
  at: Date;
}

/**
 * The PSP's processing fee on a succeeded payment: it keeps the fee out of what it owes us (credit
 * psp_receivable), an expense of the platform (debit psp_fees); the ministry's revenue is the
 * payment's whole amount. Run in the transaction that moves the payment to succeeded
 * (payments/payment-settlement.ts); posted at most once per charge (source 'psp_fee', its balance
 * transaction's id), so a second settlement of the same payment posts nothing.
 */
export function postPspFee(trx: Knex.Transaction, fee: PspFeeForLedger): Promise<Posted> {
  return postJournalEntry(trx, {
    sourceType: 'psp_fee',
    sourceId: fee.balanceTransactionId,
    description: `Card processing fee on payment ${fee.reference} (${fee.paymentId})`,
    effectiveDate: ledgerDay(fee.at),
    postings: [
      { account: pspFees(), amount: fee.fee, currency: fee.currency },
      { account: pspReceivable(), amount: -fee.fee, currency: fee.currency },
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
