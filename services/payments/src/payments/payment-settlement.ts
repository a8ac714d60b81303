import type { ConfirmOutcome } from '../psp/payment-provider.js';
import type { Payment, PaymentRepository } from './payment-repository.js';

/**
 * Moves a submitted payment as the PSP says its intent stands: charged → succeeded, declined or
 * failed → failed; waiting answers (3-D Secure, processing, open) leave it as it is. The one path
 * by which the hosted page (after confirming, or back from 3-D Secure) and the PSP's webhooks
 * settle a payment: the race-safe transition decides between them, so whichever comes second
 * finds the payment `already` there (or `refused`) and does nothing.
 */
export async function settlePayment(payments: PaymentRepository, payment: Payment, outcome: ConfirmOutcome | { kind: 'open' }): Promise<Payment> {
  let moved;
  if (outcome.kind === 'succeeded') moved = await payments.transition(payment.id, 'succeed', { data: { charge_id: outcome.chargeId } });
  else if (outcome.kind === 'declined') moved = await payments.transition(payment.id, 'fail', { data: { code: outcome.code, decline_code: outcome.declineCode } });
  else if (outcome.kind === 'failed') moved = await payments.transition(payment.id, 'fail', { data: { code: outcome.code } });
  else return payment;
  return moved.outcome === 'not_found' ? payment : moved.payment;
}
