import { currencyOf, processingFee } from './currencies.js';
import type { BalanceTransactionRecord, ChargeRecord, PaymentIntentRecord, PaymentMethodRecord, StripeState } from './state.js';
import { stripeId } from './state.js';

export interface ChargeContext {
  now: number;
  /**
   * Days until a charge's funds are available (Stripe's settlement delay, 2 business days in many
   * countries): the sandbox counts calendar days, weekends and holidays too, so tests can say the day.
   */
  availableAfterDays: number;
}

const DAY = 86_400;

/** Funds become available at 00:00 UTC, `days` days after the charge (as Stripe's `available_on`). */
export function availableOn(created: number, days: number): number {
  return Math.floor(created / DAY) * DAY + days * DAY;
}

function chargeBase(state: StripeState, pi: PaymentIntentRecord, pm: PaymentMethodRecord, now: number): Omit<ChargeRecord, 'status' | 'failure' | 'balanceTransactionId' | 'threeDSecure'> {
  return {
    id: stripeId('ch'),
    seq: state.nextSeq(),
    created: now,
    amount: pi.amount,
    currency: pi.currency,
    paymentIntentId: pi.id,
    paymentMethodId: pm.id,
    card: pm.card,
    billingDetails: pm.billingDetails,
    description: pi.description,
    metadata: { ...pi.metadata },
    receiptEmail: pi.receiptEmail,
    disputed: false,
    disputeId: null,
    amountRefunded: 0,
  };
}

/** A successful card charge and its balance transaction (amount, processing fee, net). */
export function recordSucceededCharge(state: StripeState, pi: PaymentIntentRecord, pm: PaymentMethodRecord, options: ChargeContext & { threeDSecure: boolean }): ChargeRecord {
  const { now } = options;
  const charge: ChargeRecord = { ...chargeBase(state, pi, pm, now), status: 'succeeded', failure: null, balanceTransactionId: null, threeDSecure: options.threeDSecure };
  const fee = processingFee(pi.amount, currencyOf(pi.currency));
  const txn: BalanceTransactionRecord = {
    id: stripeId('txn'),
    seq: state.nextSeq(),
    created: now,
    amount: pi.amount,
    currency: pi.currency,
    fee,
    feeDetails: [{ amount: fee, application: null, currency: pi.currency, description: 'Stripe processing fees', type: 'stripe_fee' }],
    net: pi.amount - fee,
    availableOn: availableOn(now, options.availableAfterDays),
    sourceId: charge.id,
    type: 'charge',
    reportingCategory: 'charge',
    payoutId: null,
    description: pi.description,
  };
  charge.balanceTransactionId = txn.id;
  state.charges.set(charge.id, charge);
  state.balanceTransactions.set(txn.id, txn);
  return charge;
}

/** A declined attempt: a failed charge, with no balance transaction. */
export function recordFailedCharge(
  state: StripeState,
  pi: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  failure: { code: string; message: string; declineCode: string | null },
  now: number,
): ChargeRecord {
  const charge: ChargeRecord = { ...chargeBase(state, pi, pm, now), status: 'failed', failure, balanceTransactionId: null, threeDSecure: false };
  state.charges.set(charge.id, charge);
  return charge;
}
