import { recordFailedCharge, recordSucceededCharge, type ChargeContext } from './charges.js';
import { checkAmount, currencyOf } from './currencies.js';
import { cardError, docUrl, invalidRequest, missingParam, resourceMissing, unexpectedState, type StripeApiError } from './errors.js';
import { applyMetadata, booleanParam, integerParam, listParam, onlyKnown, requiredString, stringParam, type Params } from './params.js';
import { paymentMethodOf } from './payment-methods.js';
import { openDispute } from './disputes.js';
import { chargeObject, paymentIntentObject } from './resources.js';
import { type PaymentIntentRecord, type PaymentIntentStatus, type StripeState, stripeId } from './state.js';

export interface IntentContext extends ChargeContext {
  /** Where the cardholder meets a 3-D Secure challenge (a page the sandbox serves). */
  challengeUrl: (challengeId: string) => string;
}

const CONFIRMABLE: PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE: PaymentIntentStatus[] = ['requires_payment_method', 'requires_capture' as PaymentIntentStatus, 'requires_confirmation', 'requires_action', 'processing'];
const AMOUNT_UPDATABLE: PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

export function paymentIntentOf(state: StripeState, id: string): PaymentIntentRecord {
  const pi = state.paymentIntents.get(id);
  if (!pi) throw resourceMissing('payment_intent', id, 'intent');
  return pi;
}

function urlParam(params: Params, name: string): string | undefined {
  const value = stringParam(params, name);
  if (value === undefined || value === '') return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw invalidRequest(`Not a valid URL`, { param: name, code: 'url_invalid' });
  return value;
}

function emailParam(params: Params): string | null | undefined {
  const value = stringParam(params, 'receipt_email');
  if (value === undefined) return undefined;
  if (value === '') return null;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) || value.length > 800) throw invalidRequest('Invalid email address', { param: 'receipt_email', code: 'email_invalid' });
  return value;
}

function withIntent(error: StripeApiError, pi: PaymentIntentRecord, state: StripeState): StripeApiError {
  return error.withDetails({ payment_intent: paymentIntentObject(pi, state) });
}

export function createPaymentIntent(state: StripeState, params: Params, context: IntentContext): PaymentIntentRecord {
  onlyKnown(params, ['amount', 'currency', 'payment_method', 'confirm', 'description', 'metadata', 'return_url', 'receipt_email', 'capture_method', 'payment_method_types', 'expand']);
  const amount = integerParam(params, 'amount');
  if (amount === undefined) throw missingParam('amount');
  const currency = currencyOf(requiredString(params, 'currency'));
  checkAmount(amount, currency);
  const captureMethod = stringParam(params, 'capture_method');
  if (captureMethod !== undefined && captureMethod !== 'automatic') {
    throw invalidRequest(`Invalid capture_method: the sandbox supports automatic only.`, { param: 'capture_method' });
  }
  const types = listParam(params, 'payment_method_types');
  if (types && (types.length === 0 || types.some((t) => t !== 'card'))) {
    throw invalidRequest('The sandbox supports the payment method type card only.', { param: 'payment_method_types', code: 'payment_intent_invalid_parameter' });
  }
  const paymentMethod = stringParam(params, 'payment_method') || undefined;
  if (paymentMethod) paymentMethodOf(state, paymentMethod);
  const confirm = booleanParam(params, 'confirm') ?? false;
  const returnUrl = urlParam(params, 'return_url');
  if (returnUrl && !confirm) throw invalidRequest('You may only specify a return_url when confirm=true.', { param: 'return_url' });
  const pi: PaymentIntentRecord = {
    id: stripeId('pi'),
    seq: state.nextSeq(),
    created: context.now,
    amount,
    currency: currency.code,
    status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    clientSecret: '',
    description: stringParam(params, 'description') || null,
    metadata: applyMetadata({}, params),
    receiptEmail: emailParam(params) ?? null,
    returnUrl: null,
    paymentMethodId: paymentMethod ?? null,
    latestChargeId: null,
    amountReceived: 0,
    lastPaymentError: null,
    canceledAt: null,
    cancellationReason: null,
    challenge: null,
  };
  pi.clientSecret = `${pi.id}_secret_${stripeId('x', 25).slice(2)}`;
  state.paymentIntents.set(pi.id, pi);
  state.recordEvent('payment_intent.created', paymentIntentObject(pi, state), context.now);
  if (confirm) confirmPaymentIntent(state, pi, returnUrl ? { return_url: returnUrl } : {}, context);
  return pi;
}

export function updatePaymentIntent(state: StripeState, pi: PaymentIntentRecord, params: Params): PaymentIntentRecord {
  onlyKnown(params, ['amount', 'currency', 'payment_method', 'description', 'metadata', 'receipt_email', 'expand']);
  const amount = integerParam(params, 'amount');
  const currencyCode = stringParam(params, 'currency');
  const paymentMethod = stringParam(params, 'payment_method');
  if ((amount !== undefined || currencyCode !== undefined || paymentMethod !== undefined) && !AMOUNT_UPDATABLE.includes(pi.status)) {
    const field = amount !== undefined ? 'amount' : currencyCode !== undefined ? 'currency' : 'payment_method';
    throw withIntent(
      unexpectedState(
        `This PaymentIntent's ${field} could not be updated because it has a status of ${pi.status}. You may only update the ${field} of a PaymentIntent with one of the following statuses: ${AMOUNT_UPDATABLE.join(', ')}.`,
      ),
      pi,
      state,
    );
  }
  const currency = currencyOf(currencyCode ?? pi.currency);
  if (amount !== undefined || currencyCode !== undefined) checkAmount(amount ?? pi.amount, currency);
  if (paymentMethod) paymentMethodOf(state, paymentMethod);
  const metadata = applyMetadata(pi.metadata, params);
  const description = stringParam(params, 'description');
  const receiptEmail = emailParam(params);
  // Checked everything first: a refused update changes nothing.
  if (amount !== undefined) pi.amount = amount;
  pi.currency = currency.code;
  if (paymentMethod !== undefined) {
    pi.paymentMethodId = paymentMethod || null;
    pi.status = paymentMethod ? 'requires_confirmation' : 'requires_payment_method';
    pi.challenge = null;
  } else if ((amount !== undefined || currencyCode !== undefined) && pi.status === 'requires_action') {
    // A new amount needs a new authentication.
    pi.status = 'requires_confirmation';
    pi.challenge = null;
  }
  pi.metadata = metadata;
  if (description !== undefined) pi.description = description || null;
  if (receiptEmail !== undefined) pi.receiptEmail = receiptEmail;
  return pi;
}

/**
 * Confirms: charges the payment method, or asks for 3-D Secure (requires_action with a
 * redirect_to_url to the sandbox's challenge page). A decline leaves the PaymentIntent in
 * requires_payment_method with last_payment_error, and answers 402 as Stripe does.
 */
export function confirmPaymentIntent(state: StripeState, pi: PaymentIntentRecord, params: Params, context: IntentContext): PaymentIntentRecord {
  onlyKnown(params, ['payment_method', 'return_url', 'receipt_email', 'expand']);
  if (!CONFIRMABLE.includes(pi.status)) {
    const message =
      pi.status === 'succeeded'
        ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
        : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`;
    throw withIntent(unexpectedState(message), pi, state);
  }
  const paymentMethodId = stringParam(params, 'payment_method') || pi.paymentMethodId;
  if (!paymentMethodId) {
    throw withIntent(
      unexpectedState("You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method."),
      pi,
      state,
    );
  }
  const pm = paymentMethodOf(state, paymentMethodId);
  const returnUrl = urlParam(params, 'return_url');
  const receiptEmail = emailParam(params);
  if (receiptEmail !== undefined) pi.receiptEmail = receiptEmail;
  if (returnUrl) pi.returnUrl = returnUrl;
  pi.paymentMethodId = pm.id;
  pi.challenge = null;
  const outcome = pm.card.outcome;
  switch (outcome.kind) {
    case 'authenticate': {
      const challengeId = stripeId('payatt');
      state.challenges.set(challengeId, pi.id);
      pi.status = 'requires_action';
      pi.challenge = { id: challengeId, url: context.challengeUrl(challengeId) };
      state.recordEvent('payment_intent.requires_action', paymentIntentObject(pi, state), context.now);
      return pi;
    }
    case 'decline': {
      const charge = recordFailedCharge(state, pi, pm, { code: outcome.code, message: outcome.message, declineCode: outcome.declineCode ?? null }, context.now);
      pi.status = 'requires_payment_method';
      pi.paymentMethodId = null;
      pi.latestChargeId = charge.id;
      pi.lastPaymentError = {
        type: 'card_error',
        code: outcome.code,
        message: outcome.message,
        doc_url: docUrl(outcome.code),
        charge: charge.id,
        paymentMethodId: pm.id,
        ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
        ...(outcome.param ? { param: outcome.param } : {}),
      };
      const error = cardError(outcome.code, outcome.message, { ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}), ...(outcome.param ? { param: outcome.param } : {}) });
      const piObject = paymentIntentObject(pi, state);
      state.recordEvent('charge.failed', chargeObject(charge), context.now);
      state.recordEvent('payment_intent.payment_failed', paymentIntentObject(pi, state), context.now);
      throw error.withDetails({ charge: charge.id, payment_intent: piObject, payment_method: (piObject.last_payment_error as { payment_method?: unknown }).payment_method });
    }
    default:
      succeed(state, pi, context, false);
      return pi;
  }
}

function succeed(state: StripeState, pi: PaymentIntentRecord, context: ChargeContext, threeDSecure: boolean): void {
  const pm = paymentMethodOf(state, pi.paymentMethodId ?? '');
  const charge = recordSucceededCharge(state, pi, pm, { ...context, threeDSecure });
  pi.status = 'succeeded';
  pi.amountReceived = pi.amount;
  pi.latestChargeId = charge.id;
  pi.lastPaymentError = null;
  pi.challenge = null;
  state.recordEvent('charge.succeeded', chargeObject(charge), context.now);
  state.recordEvent('payment_intent.succeeded', paymentIntentObject(pi, state), context.now);
  const outcome = pm.card.outcome;
  if (outcome.kind === 'succeed_then_dispute') {
    // The cardholder's bank disputes the payment right after it succeeded (Stripe's dispute test cards).
    openDispute(state, charge, outcome.reason, outcome.inquiry ?? false, context.now);
  }
}

/** The cardholder's answer on the challenge page. Returns the PaymentIntent, or undefined if the challenge is no longer open. */
export function completeChallenge(state: StripeState, challengeId: string, passed: boolean, context: ChargeContext): PaymentIntentRecord | undefined {
  const pi = state.paymentIntents.get(state.challenges.get(challengeId) ?? '');
  if (!pi || pi.status !== 'requires_action' || pi.challenge?.id !== challengeId) return undefined;
  state.challenges.delete(challengeId);
  if (passed) {
    succeed(state, pi, context, true);
  } else {
    const code = 'payment_intent_authentication_failure';
    pi.lastPaymentError = {
      type: 'invalid_request_error',
      code,
      message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
      doc_url: docUrl(code),
      paymentMethodId: pi.paymentMethodId ?? '',
    };
    pi.status = 'requires_payment_method';
    pi.paymentMethodId = null;
    pi.challenge = null;
    state.recordEvent('payment_intent.payment_failed', paymentIntentObject(pi, state), context.now);
  }
  return pi;
}

export function openChallenge(state: StripeState, challengeId: string): PaymentIntentRecord | undefined {
  const pi = state.paymentIntents.get(state.challenges.get(challengeId) ?? '');
  return pi && pi.status === 'requires_action' && pi.challenge?.id === challengeId ? pi : undefined;
}

export function cancelPaymentIntent(state: StripeState, pi: PaymentIntentRecord, params: Params, now: number): PaymentIntentRecord {
  onlyKnown(params, ['cancellation_reason', 'expand']);
  const reason = stringParam(params, 'cancellation_reason');
  if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
    throw invalidRequest(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`, { param: 'cancellation_reason' });
  }
  if (!CANCELABLE.includes(pi.status)) {
    throw withIntent(
      unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      ),
      pi,
      state,
    );
  }
  if (pi.challenge) state.challenges.delete(pi.challenge.id);
  pi.status = 'canceled';
  pi.canceledAt = now;
  pi.cancellationReason = reason ?? null;
  pi.challenge = null;
  state.recordEvent('payment_intent.canceled', paymentIntentObject(pi, state), now);
  return pi;
}
