import { postPspFee } from '../ledger/payment-postings.js';
import type { Logger } from '@tamkeen/http-kit';
import type { ChargeFee, ConfirmOutcome, PaymentProvider } from '../psp/payment-provider.js';
import type { OnApplied, Payment, PaymentRepository } from './payment-repository.js';

/**
 * Moves a submitted payment as the PSP says its intent stands: charged → succeeded, declined or
 * failed → failed; waiting answers (3-D Secure, processing, open) leave it as it is. The one path
 * by which the hosted page (after confirming, or back from 3-D Secure) and the PSP's webhooks
 * settle a payment: the race-safe transition decides between them, so whichever comes second
 * finds the payment `already` there (or `refused`) and does nothing.
 *
 * A success records the PSP's processing fee on the charge with it (`psp_fee`, and the charge's
 * balance transaction) and posts it to the ledger in the same transaction (`postPspFee`), when the
 * PSP's answer carried it (the Stripe adapter expands the charge's balance transaction); so the fee
 * is posted exactly once, by whichever settles the payment. A fee in another currency than the
 * payment's (a PSP settling in another currency) is not posted: left to reconciliation.
 */
export async function settlePayment(payments: PaymentRepository, payment: Payment, outcome: ConfirmOutcome | { kind: 'open' }): Promise<Payment> {
  let moved;
  if (outcome.kind === 'succeeded') {
    const fee = outcome.fee && outcome.fee.currency === payment.currency ? outcome.fee : null;
    moved = await payments.transition(payment.id, 'succeed', {
      data: { charge_id: outcome.chargeId, ...(fee ? { balance_transaction_id: fee.balanceTransactionId, fee: fee.fee } : {}) },
      ...(fee ? { changes: { psp_fee: fee.fee, psp_balance_transaction_id: fee.balanceTransactionId }, onApplied: postingFee(fee) } : {}),
    });
  } else if (outcome.kind === 'declined') moved = await payments.transition(payment.id, 'fail', { data: { code: outcome.code, decline_code: outcome.declineCode } });
  else if (outcome.kind === 'failed') moved = await payments.transition(payment.id, 'fail', { data: { code: outcome.code } });
  else return payment;
  return moved.outcome === 'not_found' ? payment : moved.payment;
}

/** Posts the fee of the charge in the success's transaction (nothing for a charge without a fee). */
const postingFee =
  (fee: ChargeFee): OnApplied =>
  async (trx, payment) => {
    if (fee.fee > 0) await postPspFee(trx, { balanceTransactionId: fee.balanceTransactionId, paymentId: payment.id, reference: payment.reference, fee: fee.fee, currency: payment.currency, at: payment.updatedAt });
  };

/**
 * Asks the PSP how a submitted payment's intent stands now and settles it (settlePayment); as it
 * was when the PSP cannot say now (logged). Used by the payment page (the result page, back from
 * 3-D Secure) and the sweep of payments left submitted (psp-sweep.ts).
 */
export async function settleSubmittedWithPsp({ payments, psp, logger }: { payments: PaymentRepository; psp: PaymentProvider; logger: Logger }, payment: Payment): Promise<Payment> {
  if (payment.status !== 'submitted' || !payment.pspPaymentIntentId) return payment;
  try {
    return await settlePayment(payments, payment, (await psp.retrieveIntent(payment.pspPaymentIntentId)).outcome);
  } catch (error) {
    logger.warn({ err: error, paymentId: payment.id }, 'the PSP could not say how a submitted payment stands; it stays submitted');
    return payment;
  }
}
