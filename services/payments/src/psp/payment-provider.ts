import { createHash } from 'node:crypto';
import type { Currency, Money } from '../domain/money.js';

/**
 * The payment service provider (PSP), in the payments domain's words: a payment at the PSP is an
 * *intent* that the citizen's card confirms, directly or after the card issuer's authentication
 * (3-D Secure). Card data never reaches this service: the hosted page tokenises the card at the
 * PSP in the browser and gives the server the token (`paymentMethodId`).
 *
 * Every call that changes something carries an idempotency key derived from the payment and the
 * step (see `intentKeys`), so that a call repeated after a crash or a timeout is the same call:
 * the PSP answers it again rather than charging twice. Implemented by `stripeAdapter`.
 */
export interface PaymentProvider {
  /** Opens an intent for a payment's amount: nothing is charged until it is confirmed. */
  createIntent(input: CreateIntentInput): Promise<Intent>;
  /** Charges the intent with a tokenised card: succeeded, declined, or waiting for 3-D Secure. */
  confirmIntent(input: ConfirmIntentInput): Promise<ConfirmOutcome>;
  /** The intent as the PSP has it now (after a 3-D Secure challenge, or to settle a timed-out call). */
  retrieveIntent(intentId: string): Promise<IntentSnapshot>;
  /** Cancels an intent that has not succeeded (the payment was cancelled or expired). */
  cancelIntent(input: CancelIntentInput): Promise<IntentSnapshot>;
  /**
   * Gives back `amount` of a succeeded intent's charge. Throws PspRequestRefused when the PSP
   * refuses it (more than is left, a disputed charge) and PspUnavailable when its answer is
   * unknown: repeat it with the same key (the default, derived from `refundId`) to learn it.
   */
  refund(input: RefundInput): Promise<RefundSnapshot>;
  /** A refund as the PSP has it now (one it answered `pending`). */
  retrieveRefund(pspRefundId: string): Promise<RefundSnapshot>;
  /** A dispute (chargeback or inquiry) as the PSP has it now. */
  retrieveDispute(disputeId: string): Promise<DisputeSnapshot>;
  /** Gives the PSP evidence against a dispute and, with `submit` (the default), submits it for the bank's decision. */
  updateDispute(input: UpdateDisputeInput): Promise<DisputeSnapshot>;
  /**
   * A page of the PSP's balance transactions (its books: each charge, refund, dispute movement,
   * fee and payout), newest first, with the ids of what caused each (for reconciliation).
   */
  listBalanceTransactions(query: BalanceTransactionQuery): Promise<PspPage<BalanceTransactionSnapshot>>;
  /** A page of the PSP's payouts, newest first. */
  listPayouts(query: PayoutQuery): Promise<PspPage<PayoutSnapshot>>;
  /** A payout as the PSP has it now. */
  retrievePayout(payoutId: string): Promise<PayoutSnapshot>;
}

/** A page of a PSP list: while `hasMore`, the next page starts after `lastId` (the page's last object, shown in `items` or not). */
export interface PspPage<T> {
  items: T[];
  hasMore: boolean;
  lastId: string | null;
}

export interface PspListQuery {
  /** Only what was created at or after this instant. */
  createdGte?: Date;
  /** The id of the last item of the previous page. */
  startingAfter?: string;
  /** 1 to 100 (the default). */
  limit?: number;
}

export interface BalanceTransactionQuery extends PspListQuery {
  /** Only what this (automatic) payout paid out, and the payout's own transaction. */
  payoutId?: string;
}

export type PayoutQuery = PspListQuery;

/**
 * A movement of the PSP's balance (Stripe's BalanceTransaction), what reconciliation matches: its
 * gross `amount`, the PSP's `fee` on it and the `net` paid out (amount − fee), in minor units of
 * `currency` (upper case; possibly one the platform does not take), signed (money out is negative).
 */
export interface BalanceTransactionSnapshot {
  /** `txn_…`. */
  id: string;
  /** charge, refund, adjustment, payout... */
  type: string;
  /** What it is for: charge, refund, dispute, dispute_reversal, payout, fee... */
  reportingCategory: string;
  amount: number;
  fee: number;
  net: number;
  currency: string;
  created: Date;
  /** When its net becomes available for payout. */
  availableOn: Date;
  description: string | null;
  /** What caused it: a charge `ch_…`, refund `re_…`, dispute `du_…`, payout `po_…`. */
  sourceId: string | null;
  chargeId: string | null;
  paymentIntentId: string | null;
  refundId: string | null;
  disputeId: string | null;
  /** A payout's own transaction: that payout (which payout paid out the others is learnt by listing a payout's). */
  payoutId: string | null;
}

/**
 * Where a dispute is, in the PSP's (Stripe's) words: a chargeback `needs_response`, then
 * `under_review` once evidence is submitted, then `won` or `lost`; an inquiry (no funds withdrawn)
 * goes `warning_needs_response` → `warning_under_review` → `warning_closed`.
 */
export type PspDisputeStatus = 'needs_response' | 'under_review' | 'won' | 'lost' | 'warning_needs_response' | 'warning_under_review' | 'warning_closed';

export interface DisputeSnapshot {
  disputeId: string;
  /** The disputed payment's intent (how the dispute is matched to a payment). */
  paymentIntentId: string | null;
  chargeId: string;
  amount: Money;
  reason: string;
  status: PspDisputeStatus;
  evidenceDueBy: Date | null;
  /** The dispute fee the PSP withdrew with the chargeback (minor units of `amount`'s currency; 0 for an inquiry). */
  fee: number;
}

export interface UpdateDisputeInput {
  disputeId: string;
  /** The ministry's evidence, as free text (Stripe's `evidence[uncategorized_text]`). */
  text: string;
  /** Submit it now (true, Stripe's default) or only stage it. */
  submit: boolean;
  /** Defaults to `disputeKeys.update(disputeId, text, submit)`: the same evidence again is the same call. */
  idempotencyKey?: string;
}

export interface CreateIntentInput {
  /** The payment's id: kept with the intent (metadata `payment_id`) and the default idempotency key. */
  paymentId: string;
  amount: Money;
  description: string;
  /** Defaults to `intentKeys.create(paymentId)`. */
  idempotencyKey?: string;
}

export interface ConfirmIntentInput {
  intentId: string;
  /** The card, tokenised at the PSP by the hosted page (`pm_…`). */
  paymentMethodId: string;
  /** Where the citizen's browser comes back after a 3-D Secure challenge (https, or http in development). */
  returnUrl: string;
  /** Defaults to `intentKeys.confirm(intentId, paymentMethodId)`: the same card again is the same call, another card a new one. */
  idempotencyKey?: string;
}

export interface CancelIntentInput {
  intentId: string;
  reason?: 'abandoned' | 'duplicate' | 'requested_by_customer';
  /** Defaults to `intentKeys.cancel(intentId)`. */
  idempotencyKey?: string;
}

/**
 * Where an intent is: waiting for a card (new, or after a decline or a failed authentication),
 * waiting to be confirmed, waiting for the citizen's 3-D Secure challenge, being processed,
 * succeeded (the money is taken), or cancelled.
 */
export type IntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'cancelled';

export interface Intent {
  intentId: string;
  /** For the browser only (the hosted page confirms or reads the intent with it); never logged. */
  clientSecret: string;
  status: IntentStatus;
}

export interface IntentSnapshot extends Intent {
  amount: Money;
  /** The payment id given at creation (metadata), if any. */
  paymentId: string | null;
  /** What confirming it has come to so far: the same outcomes as `confirmIntent`, or `open` before any confirmation. */
  outcome: ConfirmOutcome | { kind: 'open'; intentId: string };
}

/**
 * What confirming an intent came to:
 * - `succeeded`: the card was charged (`chargeId` is the PSP's charge, for the ledger and reconciliation;
 *   `fee` the PSP's processing fee on it, from the charge's balance transaction, when the PSP said);
 * - `requires_action`: the citizen must pass the issuer's 3-D Secure challenge at `redirectUrl`, then
 *   comes back to the return URL; `retrieveIntent` says how it ended;
 * - `declined`: the issuer or the PSP refused the card (`code` such as card_declined or expired_card,
 *   `declineCode` such as insufficient_funds); the citizen may try another card on the same intent;
 * - `failed`: not charged for another reason (the 3-D Secure challenge failed, the intent was
 *   cancelled, or could not be confirmed in its state);
 * - `processing`: the PSP has not decided yet (not for cards in practice); read it again later.
 */
export type ConfirmOutcome =
  | { kind: 'succeeded'; intentId: string; chargeId: string | null; fee?: ChargeFee | null }
  | { kind: 'requires_action'; intentId: string; redirectUrl: string }
  | { kind: 'declined'; intentId: string; code: string; declineCode: string | null; message: string }
  | { kind: 'failed'; intentId: string; code: string; message: string }
  | { kind: 'processing'; intentId: string };

/**
 * What the PSP keeps of a charge, from the charge's balance transaction (Stripe's `fee`, `net`,
 * `available_on`): the ledger posts the fee, reconciliation matches the transaction.
 */
export interface ChargeFee {
  /** The charge's balance transaction (`txn_…`). */
  balanceTransactionId: string;
  /** The processing fee, in minor units of `currency`. */
  fee: number;
  /** What the PSP will pay out for the charge: amount − fee. */
  net: number;
  /** The balance transaction's currency: the payment's, unless the PSP settles in another. */
  currency: Currency;
  /** When the funds become available for payout. */
  availableOn: Date;
}

/**
 * Where a payout of the PSP's balance to the treasury's bank account is, in the PSP's (Stripe's)
 * words: `pending`, `in_transit`, then `paid`, or `failed` / `canceled`. A payout may fail after
 * it was reported paid (the bank returned it).
 */
export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

/** A payout as the PSP reports it (its `payout.*` events). */
export interface PayoutSnapshot {
  payoutId: string;
  amount: Money;
  status: PayoutStatus;
  /** The day it is expected in the bank account (YYYY-MM-DD, the PSP's UTC date). */
  arrivalDate: string;
  /** When the PSP made it. */
  created: Date;
  /** Made by the PSP's payout schedule, not requested. */
  automatic: boolean;
  /** Its own balance transaction (`txn_…`, type payout). */
  balanceTransactionId: string | null;
  /** The bank account it was sent to (`ba_…`). */
  destination: string | null;
  /** What the bank statement shows for it, and the bank's reference: for matching statements. */
  statementDescriptor: string | null;
  traceId: string | null;
  failureCode: string | null;
}

/** Any failure of a PSP call that is not an outcome of the payment. */
export class PspError extends Error {
  override readonly name: string = 'PspError';
}

/**
 * The PSP could not be reached, did not answer in time, or answered that it could not serve the
 * request now (5xx, 429, an idempotent request still in progress). Not a decline: whether a
 * mutating call took effect is unknown, so repeat it with the same idempotency key, or read the
 * intent, before telling the citizen anything.
 */
export class PspUnavailable extends PspError {
  override readonly name = 'PspUnavailable';
  constructor(
    message: string,
    /** The HTTP status, when the PSP answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The PSP refused the request itself (400, 401, 403, 404): a wrong key, an unknown intent or card
 * token, parameters it does not accept, an idempotency key reused with other parameters. Repeating
 * it gives the same answer. `type`, `code` and `param` are the PSP's.
 */
export class PspRequestRefused extends PspError {
  override readonly name = 'PspRequestRefused';
  constructor(
    message: string,
    readonly status: number,
    readonly type: string | undefined,
    readonly code: string | undefined,
    readonly param: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The default idempotency keys: one per payment and step, so that a retry after a crash repeats
 * the same call. Confirming again with the same card token is the same call; with another card
 * (the citizen tries again after a decline), a new one.
 */
export const intentKeys = {
  create: (paymentId: string) => `tamkeen:payment:${paymentId}:create-intent`,
  confirm: (intentId: string, paymentMethodId: string) => `tamkeen:intent:${intentId}:confirm:${paymentMethodId}`,
  cancel: (intentId: string) => `tamkeen:intent:${intentId}:cancel`,
};

/** The default idempotency key of a dispute update: the same evidence (and submit) again is the same call. */
export const disputeKeys = {
  update: (disputeId: string, text: string, submit: boolean) => `tamkeen:dispute:${disputeId}:evidence:${createHash('sha256').update(`${submit ? 1 : 0}:${text}`).digest('base64url')}`,
};

/** The default idempotency key of a refund: one per refund of ours, so a retry is the same refund. */
export const refundKeys = {
  create: (refundId: string) => `tamkeen:refund:${refundId}:create`,
};

export interface RefundInput {
  intentId: string;
  /** In the intent's currency's minor units. */
  amount: number;
  /** Our refund's id: kept with the PSP's refund (metadata `refund_id`) and the default idempotency key. */
  refundId: string;
  /** Defaults to `refundKeys.create(refundId)`. */
  idempotencyKey?: string;
}

/** A refund at the PSP: `pending` until it succeeds or fails (for cards, at once). */
export interface RefundSnapshot {
  pspRefundId: string;
  status: 'pending' | 'succeeded' | 'failed';
  amount: number;
  /** Our refund's id (metadata), if any. */
  refundId: string | null;
}
