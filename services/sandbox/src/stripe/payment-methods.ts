import { cardError, invalidRequest, missingParam, resourceMissing } from './errors.js';
import { applyMetadata, integerParam, objectParam, onlyKnown, requiredString, stringParam, type Params } from './params.js';
import { type BillingDetails, type PaymentMethodRecord, type StripeState, stripeId } from './state.js';
import { brandOf, fingerprintOf, luhnValid, TEST_CARDS, type CardOutcome } from './test-cards.js';

export interface PaymentMethodContext {
  now: number;
  /** Fingerprints are stable per account: keyed by the account's secret. */
  fingerprintSecret: string;
}

const LIVE_CARD: CardOutcome = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'test_mode_live_card',
  message: 'Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
};

function billingDetailsOf(params: Params): BillingDetails {
  const given = objectParam(params, 'billing_details') ?? {};
  onlyKnown(given, ['address', 'email', 'name', 'phone'], 'billing_details');
  const address = objectParam(given, 'address') ?? {};
  onlyKnown(address, ['city', 'country', 'line1', 'line2', 'postal_code', 'state'], 'billing_details[address]');
  const text = (from: Params, name: string, prefix: string) => stringParam(from, name, `${prefix}[${name}]`) || null;
  return {
    address: {
      city: text(address, 'city', 'billing_details[address]'),
      country: text(address, 'country', 'billing_details[address]'),
      line1: text(address, 'line1', 'billing_details[address]'),
      line2: text(address, 'line2', 'billing_details[address]'),
      postal_code: text(address, 'postal_code', 'billing_details[address]'),
      state: text(address, 'state', 'billing_details[address]'),
    },
    email: text(given, 'email', 'billing_details'),
    name: text(given, 'name', 'billing_details'),
    phone: text(given, 'phone', 'billing_details'),
  };
}

/**
 * Tokenises a card, as Stripe.js does from the citizen's browser. The number and CVC are checked
 * and dropped here: only brand, last4, fingerprint, expiry, funding and country are kept.
 */
export function createPaymentMethod(state: StripeState, params: Params, { now, fingerprintSecret }: PaymentMethodContext): PaymentMethodRecord {
  onlyKnown(params, ['type', 'card', 'billing_details', 'metadata', 'expand']);
  const type = requiredString(params, 'type');
  if (type !== 'card') throw invalidRequest(`Invalid type: the sandbox supports card only.`, { param: 'type', code: 'payment_method_unsupported_type' });
  const card = objectParam(params, 'card');
  if (!card) throw missingParam('card');
  onlyKnown(card, ['number', 'exp_month', 'exp_year', 'cvc'], 'card');
  const number = requiredString(card, 'number', 'card[number]').replace(/[\s-]/g, '');
  const expMonth = integerParam(card, 'exp_month', 'card[exp_month]');
  const expYear = integerParam(card, 'exp_year', 'card[exp_year]');
  if (expMonth === undefined) throw missingParam('card[exp_month]');
  if (expYear === undefined) throw missingParam('card[exp_year]');
  const cvc = stringParam(card, 'cvc', 'card[cvc]');

  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) throw cardError('incorrect_number', 'Your card number is incorrect.', { param: 'card[number]' });
  if (expMonth < 1 || expMonth > 12) throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", { param: 'card[exp_month]' });
  const year = expYear < 100 ? 2000 + expYear : expYear;
  const today = new Date(now * 1000);
  if (year < today.getUTCFullYear() || year > today.getUTCFullYear() + 50) throw cardError('invalid_expiry_year', "Your card's expiration year is invalid.", { param: 'card[exp_year]' });
  if (year === today.getUTCFullYear() && expMonth < today.getUTCMonth() + 1) throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", { param: 'card[exp_month]' });
  const brand = brandOf(number);
  if (cvc !== undefined && !(brand === 'amex' ? /^\d{4}$/ : /^\d{3}$/).test(cvc)) throw cardError('invalid_cvc', "Your card's security code is invalid.", { param: 'card[cvc]' });

  const known = TEST_CARDS[number];
  const record: PaymentMethodRecord = {
    id: stripeId('pm'),
    created: now,
    card: {
      brand,
      last4: number.slice(-4),
      fingerprint: fingerprintOf(number, fingerprintSecret),
      exp_month: expMonth,
      exp_year: year,
      funding: known?.funding ?? 'credit',
      country: known?.country ?? 'US',
      outcome: known?.outcome ?? LIVE_CARD,
    },
    billingDetails: billingDetailsOf(params),
    metadata: applyMetadata({}, params),
  };
  state.paymentMethods.set(record.id, record);
  return record;
}

export function paymentMethodOf(state: StripeState, id: string, param = 'payment_method'): PaymentMethodRecord {
  const pm = state.paymentMethods.get(id);
  if (!pm) throw resourceMissing('PaymentMethod', id, param);
  return pm;
}
