import { randomBytes } from 'node:crypto';
import type { Metadata } from './params.js';
import type { CardOutcome } from './test-cards.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Stripe-style ids and secrets: a prefix and random base-62 characters. */
export function stripeId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte % 62];
  return `${prefix}_${id}`;
}

export interface BillingDetails {
  address: { city: string | null; country: string | null; line1: string | null; line2: string | null; postal_code: string | null; state: string | null };
  email: string | null;
  name: string | null;
  phone: string | null;
}

/** What is kept of a card: never its number or CVC. */
export interface StoredCard {
  brand: string;
  last4: string;
  fingerprint: string;
  exp_month: number;
  exp_year: number;
  funding: string;
  country: string;
  /** What the test card does on confirmation (decided from the number when it was tokenised). */
  outcome: CardOutcome;
}

export interface PaymentMethodRecord {
  id: string;
  created: number;
  card: StoredCard;
  billingDetails: BillingDetails;
  metadata: Metadata;
}

export type PaymentIntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';

export interface LastPaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  message: string;
  decline_code?: string;
  param?: string;
  doc_url: string;
  charge?: string;
  paymentMethodId: string;
}

export interface PaymentIntentRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  status: PaymentIntentStatus;
  clientSecret: string;
  description: string | null;
  metadata: Metadata;
  receiptEmail: string | null;
  returnUrl: string | null;
  paymentMethodId: string | null;
  latestChargeId: string | null;
  amountReceived: number;
  lastPaymentError: LastPaymentError | null;
  canceledAt: number | null;
  cancellationReason: string | null;
  /** The 3-D Secure challenge waiting for the cardholder, while status is requires_action. */
  challenge: { id: string; url: string } | null;
}

export interface ChargeRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  paymentIntentId: string;
  paymentMethodId: string;
  card: StoredCard;
  billingDetails: BillingDetails;
  description: string | null;
  metadata: Metadata;
  receiptEmail: string | null;
  failure: { code: string; message: string; declineCode: string | null } | null;
  balanceTransactionId: string | null;
  threeDSecure: boolean;
  disputed: boolean;
  /** The dispute the card's issuer opened (dispute test cards), if any. */
  disputeId: string | null;
  amountRefunded: number;
}

export interface FeeDetail {
  amount: number;
  application: null;
  currency: string;
  description: string;
  type: 'stripe_fee';
}

export interface BalanceTransactionRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  fee: number;
  feeDetails: FeeDetail[];
  net: number;
  availableOn: number;
  sourceId: string;
  type: 'charge' | 'refund' | 'adjustment' | 'payout';
  reportingCategory: 'charge' | 'refund' | 'dispute' | 'dispute_reversal' | 'payout';
  description: string | null;
  /** The automatic payout that paid it out (for a payout's own transaction: that payout); null while in the balance. */
  payoutId: string | null;
}

export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

/** An automatic payout of a currency's available balance to the account's bank account (payouts.ts). */
export interface PayoutRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  /** 00:00 UTC of the day the bank credits it. */
  arrivalDate: number;
  status: PayoutStatus;
  /** Its own balance transaction (type payout, −amount). */
  balanceTransactionId: string;
  /** The bank account it is sent to (`ba_…`). */
  destination: string;
  /** What the treasury's bank statement shows for it. */
  statementDescriptor: string;
  /** The bank's reference of the transfer (`trace_id.value` once paid). */
  traceId: string;
  metadata: Metadata;
}

/** The account's bank account for a currency: where its payouts go (the treasury's, at the central bank). */
export interface BankAccountRecord {
  id: string;
  currency: string;
  bankName: string;
  last4: string;
  country: string;
}

export interface RefundRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  chargeId: string;
  paymentIntentId: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  metadata: Metadata;
  balanceTransactionId: string;
  status: 'succeeded';
}

export type DisputeStatus = 'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost';

export interface DisputeRecord {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  chargeId: string;
  paymentIntentId: string;
  reason: string;
  status: DisputeStatus;
  evidence: Record<string, string>;
  submissionCount: number;
  dueBy: number;
  metadata: Metadata;
  /** Funds withdrawn (and reinstated if won), oldest first. */
  balanceTransactionIds: string[];
}

export interface WebhookEndpointRecord {
  id: string;
  seq: number;
  created: number;
  url: string;
  secret: string;
  enabledEvents: string[];
  description: string | null;
  metadata: Metadata;
}

export interface EventRecord {
  id: string;
  seq: number;
  created: number;
  type: string;
  object: Record<string, unknown>;
  previousAttributes: Record<string, unknown> | null;
  pendingWebhooks: number;
}

/**
 * The sandbox PSP's whole state, in memory (the sandbox keeps nothing durable). Records keep the
 * order they were created in (`seq`), which lists use to page.
 */
export class StripeState {
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly paymentIntents = new Map<string, PaymentIntentRecord>();
  readonly charges = new Map<string, ChargeRecord>();
  readonly balanceTransactions = new Map<string, BalanceTransactionRecord>();
  readonly refunds = new Map<string, RefundRecord>();
  readonly disputes = new Map<string, DisputeRecord>();
  readonly events = new Map<string, EventRecord>();
  readonly webhookEndpoints = new Map<string, WebhookEndpointRecord>();
  readonly payouts = new Map<string, PayoutRecord>();
  /** Currency → the bank account its payouts go to (made on first use). */
  readonly bankAccounts = new Map<string, BankAccountRecord>();
  /** Challenge id → PaymentIntent id. */
  readonly challenges = new Map<string, string>();
  /** Called with each new event (the webhook sender listens). */
  readonly eventListeners: Array<(event: EventRecord) => void> = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  /** Records that something changed: an Event with a snapshot of the object as it is now. */
  recordEvent(type: string, object: Record<string, unknown>, now: number, previousAttributes: Record<string, unknown> | null = null): EventRecord {
    const event: EventRecord = { id: stripeId('evt'), seq: this.nextSeq(), created: now, type, object, previousAttributes, pendingWebhooks: 0 };
    this.events.set(event.id, event);
    for (const listener of this.eventListeners) listener(event);
    return event;
  }
}
