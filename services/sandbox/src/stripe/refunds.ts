import { invalidRequest, resourceMissing } from './errors.js';
import { applyMetadata, integerParam, onlyKnown, stringParam, type Params } from './params.js';
import { chargeObject, refundObject } from './resources.js';
import { type BalanceTransactionRecord, type ChargeRecord, type RefundRecord, type StripeState, stripeId } from './state.js';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export function refundOf(state: StripeState, id: string): RefundRecord {
  const refund = state.refunds.get(id);
  if (!refund) throw resourceMissing('refund', id, 'id');
  return refund;
}

function chargeToRefund(state: StripeState, params: Params): ChargeRecord {
  const chargeId = stringParam(params, 'charge') || undefined;
  const intentId = stringParam(params, 'payment_intent') || undefined;
  if (chargeId && intentId) throw invalidRequest('You cannot specify both charge and payment_intent.', { param: 'payment_intent' });
  if (chargeId) {
    const charge = state.charges.get(chargeId);
    if (!charge) throw resourceMissing('charge', chargeId, 'charge');
    return charge;
  }
  if (!intentId) throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });
  const pi = state.paymentIntents.get(intentId);
  if (!pi) throw resourceMissing('payment_intent', intentId, 'payment_intent');
  const charge = pi.latestChargeId ? state.charges.get(pi.latestChargeId) : undefined;
  if (!charge || charge.status !== 'succeeded') {
    throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { param: 'payment_intent', code: 'charge_not_refundable' });
  }
  return charge;
}

/**
 * A refund, as Stripe makes one for a card payment: at once `succeeded`, with a balance
 * transaction of type `refund` (−amount; fee 0: the sandbox, as Stripe by default, does not give
 * back the original processing fee), and the charge's `amount_refunded` / `refunded` updated.
 */
export function createRefund(state: StripeState, params: Params, now: number): RefundRecord {
  onlyKnown(params, ['charge', 'payment_intent', 'amount', 'reason', 'metadata', 'expand']);
  const charge = chargeToRefund(state, params);
  const reason = stringParam(params, 'reason') || null;
  if (reason !== null && !(REASONS as readonly string[]).includes(reason)) {
    throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, { param: 'reason' });
  }
  const metadata = applyMetadata({}, params);
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not been captured.`, { code: 'charge_not_refundable' });
  if (charge.disputeId) {
    const dispute = state.disputes.get(charge.disputeId);
    if (dispute && !dispute.status.startsWith('warning_')) {
      throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, { code: 'charge_disputed' });
    }
  }
  if (charge.amountRefunded >= charge.amount) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  const remaining = charge.amount - charge.amountRefunded;
  const amount = integerParam(params, 'amount') ?? remaining;
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: 'amount', code: 'parameter_invalid_integer' });
  if (amount > remaining) {
    throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { param: 'amount', code: 'amount_too_large' });
  }
  if (charge.currency === 'jod' && amount % 10 !== 0) {
    throw invalidRequest('Amounts in jod (a three-decimal currency) must end in 0.', { param: 'amount', code: 'invalid_charge_amount' });
  }
  const refundId = stripeId('re');
  const txn: BalanceTransactionRecord = {
    id: stripeId('txn'),
    seq: state.nextSeq(),
    created: now,
    amount: -amount,
    currency: charge.currency,
    fee: 0,
    feeDetails: [],
    net: -amount,
    availableOn: now,
    sourceId: refundId,
    type: 'refund',
    reportingCategory: 'refund',
    payoutId: null,
    description: 'REFUND FOR CHARGE' + (charge.description ? ` (${charge.description})` : ''),
  };
  const refund: RefundRecord = {
    id: refundId,
    seq: state.nextSeq(),
    created: now,
    amount,
    currency: charge.currency,
    chargeId: charge.id,
    paymentIntentId: charge.paymentIntentId,
    reason: reason as RefundRecord['reason'],
    metadata,
    balanceTransactionId: txn.id,
    status: 'succeeded',
  };
  state.balanceTransactions.set(txn.id, txn);
  state.refunds.set(refund.id, refund);
  const previous = { amount_refunded: charge.amountRefunded, refunded: false };
  charge.amountRefunded += amount;
  state.recordEvent('refund.created', refundObject(refund), now);
  state.recordEvent('charge.refunded', chargeObject(charge), now, previous);
  return refund;
}

export function updateRefund(refund: RefundRecord, params: Params): RefundRecord {
  onlyKnown(params, ['metadata', 'expand']);
  refund.metadata = applyMetadata(refund.metadata, params);
  return refund;
}
