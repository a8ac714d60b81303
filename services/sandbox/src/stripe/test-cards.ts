import { createHmac } from 'node:crypto';

/**
 * What a test card does when a payment is confirmed with it, as Stripe's test cards
 * (https://docs.stripe.com/testing). Only this outcome is kept with a PaymentMethod: never the number.
 */
export type CardOutcome =
  | { kind: 'succeed' }
  /** Succeeds, then the cardholder's bank disputes it at once: a chargeback, or an inquiry (no funds withdrawn). */
  | { kind: 'succeed_then_dispute'; reason: 'fraudulent' | 'product_not_received'; inquiry?: boolean }
  | { kind: 'decline'; code: string; declineCode?: string; message: string; param?: string }
  /** 3-D Secure: the payment waits for the cardholder's challenge. */
  | { kind: 'authenticate' };

export interface TestCard {
  outcome: CardOutcome;
  funding?: 'credit' | 'debit' | 'prepaid';
  country?: string;
}

const DECLINED = 'Your card was declined.';

export const TEST_CARDS: Record<string, TestCard> = {
  // Successes, by brand.
  '4242424242424242': { outcome: { kind: 'succeed' } },
  '4000056655665556': { outcome: { kind: 'succeed' }, funding: 'debit' },
  '5555555555554444': { outcome: { kind: 'succeed' } },
  '5200828282828210': { outcome: { kind: 'succeed' }, funding: 'debit' },
  '378282246310005': { outcome: { kind: 'succeed' } },
  '6011111111111117': { outcome: { kind: 'succeed' } },
  // Declines.
  '4000000000000002': { outcome: { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED } },
  '4000000000009995': { outcome: { kind: 'decline', code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' } },
  '4000000000009987': { outcome: { kind: 'decline', code: 'card_declined', declineCode: 'lost_card', message: DECLINED } },
  '4000000000009979': { outcome: { kind: 'decline', code: 'card_declined', declineCode: 'stolen_card', message: DECLINED } },
  '4000000000000069': { outcome: { kind: 'decline', code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.', param: 'exp_month' } },
  '4000000000000127': { outcome: { kind: 'decline', code: 'incorrect_cvc', declineCode: 'incorrect_cvc', message: "Your card's security code is incorrect.", param: 'cvc' } },
  '4000000000000119': { outcome: { kind: 'decline', code: 'processing_error', declineCode: 'processing_error', message: 'An error occurred while processing your card. Try again in a little bit.' } },
  // 3-D Secure required.
  '4000002500003155': { outcome: { kind: 'authenticate' } },
  '4000002760003184': { outcome: { kind: 'authenticate' } },
  '4000000000003220': { outcome: { kind: 'authenticate' } },
  // Disputes after a successful payment.
  '4000000000000259': { outcome: { kind: 'succeed_then_dispute', reason: 'fraudulent' } },
  '4000000000002685': { outcome: { kind: 'succeed_then_dispute', reason: 'product_not_received' } },
  '4000000000001976': { outcome: { kind: 'succeed_then_dispute', reason: 'fraudulent', inquiry: true } },
};

export function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function brandOf(number: string): string {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  if (/^35/.test(number)) return 'jcb';
  if (/^3(0[0-5]|[68])/.test(number)) return 'diners';
  if (/^62/.test(number)) return 'unionpay';
  return 'unknown';
}

/** Stable for one card within one account (here: one secret key), as Stripe's fingerprint is. */
export function fingerprintOf(number: string, accountSecret: string): string {
  const digest = createHmac('sha256', accountSecret).update(number).digest('base64url');
  return digest.replace(/[-_]/g, '').slice(0, 16);
}
