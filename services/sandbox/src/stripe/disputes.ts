import { currencyOf } from './currencies.js';
import { invalidRequest, resourceMissing } from './errors.js';
import { applyMetadata, booleanParam, objectParam, onlyKnown, stringParam, type Params } from './params.js';
import { disputeObject, EVIDENCE_FIELDS } from './resources.js';
import { type BalanceTransactionRecord, type ChargeRecord, type DisputeRecord, type DisputeStatus, type StripeState, stripeId } from './state.js';

const DAY = 86_400;


/** Stripe's test evidence (https://docs.stripe.com/testing#disputes): the dispute is decided at once. */
export const WINNING_EVIDENCE = 'winning_evidence';
export const LOSING_EVIDENCE = 'losing_evidence';

/** The dispute fee the sandbox charges: 15.00 in the charge's currency (JOD 15.000), kept even when the dispute is won. */
export function disputeFee(currency: string): number {
  return 15 * 10 ** currencyOf(currency).decimals;
}

export function disputeOf(state: StripeState, id: string): DisputeRecord {
  const dispute = state.disputes.get(id);
  if (!dispute) throw resourceMissing('dispute', id, 'dispute');
  return dispute;
}

function adjustment(state: StripeState, dispute: DisputeRecord, now: number, amount: number, fee: number, category: 'dispute' | 'dispute_reversal'): void {
  const txn: BalanceTransactionRecord = {
    id: stripeId('txn'),
    seq: state.nextSeq(),
    created: now,
    amount,
    currency: dispute.currency,
    fee,
    feeDetails: fee === 0 ? [] : [{ amount: fee, application: null, currency: dispute.currency, description: 'Dispute fee', type: 'stripe_fee' }],
    net: amount - fee,
    availableOn: now,
    sourceId: dispute.id,
    type: 'adjustment',
    reportingCategory: category,
    payoutId: null,
    description: category === 'dispute' ? `Chargeback withdrawal for ${dispute.chargeId}` : `Chargeback reversal for ${dispute.chargeId}`,
  };
  state.balanceTransactions.set(txn.id, txn);
  dispute.balanceTransactionIds.push(txn.id);
}

/**
 * The cardholder's bank disputes a successful charge (the dispute test cards). A chargeback
 * withdraws the amount and the dispute fee at once (`needs_response`); an inquiry
 * (`warning_needs_response`) withdraws nothing.
 */
export function openDispute(state: StripeState, charge: ChargeRecord, reason: string, inquiry: boolean, now: number): DisputeRecord {
  const dispute: DisputeRecord = {
    id: stripeId('du'),
    seq: state.nextSeq(),
    created: now,
    amount: charge.amount,
    currency: charge.currency,
    chargeId: charge.id,
    paymentIntentId: charge.paymentIntentId,
    reason,
    status: inquiry ? 'warning_needs_response' : 'needs_response',
    evidence: {},
    submissionCount: 0,
    dueBy: Math.floor(now / DAY) * DAY + 8 * DAY - 1,
    metadata: {},
    balanceTransactionIds: [],
  };
  state.disputes.set(dispute.id, dispute);
  if (!inquiry) adjustment(state, dispute, now, -charge.amount, disputeFee(charge.currency), 'dispute');
  charge.disputed = true;
  charge.disputeId = dispute.id;
  state.recordEvent('charge.dispute.created', disputeObject(dispute, state, now), now);
  if (!inquiry) state.recordEvent('charge.dispute.funds_withdrawn', disputeObject(dispute, state, now), now);
  return dispute;
}

const CLOSED: DisputeStatus[] = ['won', 'lost', 'warning_closed'];

function close(state: StripeState, dispute: DisputeRecord, won: boolean, now: number): void {
  const inquiry = dispute.status.startsWith('warning_');
  dispute.status = inquiry ? 'warning_closed' : won ? 'won' : 'lost';
  if (!inquiry && won) adjustment(state, dispute, now, dispute.amount, 0, 'dispute_reversal');
  state.recordEvent('charge.dispute.closed', disputeObject(dispute, state, now), now);
  if (!inquiry && won) state.recordEvent('charge.dispute.funds_reinstated', disputeObject(dispute, state, now), now);
}

/**
 * Evidence (`evidence[...]`), metadata and `submit` (true by default, as Stripe's). Submitted
 * evidence puts the dispute under review; with Stripe's test evidence in `uncategorized_text` it
 * is decided at once: `winning_evidence` → won (the amount is reinstated, the fee is not),
 * `losing_evidence` → lost. Any other evidence leaves it under review.
 */
export function updateDispute(state: StripeState, dispute: DisputeRecord, params: Params, now: number): DisputeRecord {
  onlyKnown(params, ['evidence', 'metadata', 'submit', 'expand']);
  const evidence = objectParam(params, 'evidence');
  const submit = booleanParam(params, 'submit') ?? true;
  if (evidence) onlyKnown(evidence, [...EVIDENCE_FIELDS], 'evidence');
  const given: Record<string, string> = {};
  for (const field of Object.keys(evidence ?? {})) {
    const value = stringParam(evidence ?? {}, field, `evidence[${field}]`) ?? '';
    if (value.length > 20_000) throw invalidRequest('Evidence text can have up to 20000 characters.', { param: `evidence[${field}]` });
    given[field] = value;
  }
  if (CLOSED.includes(dispute.status) || dispute.status === 'under_review' || dispute.status === 'warning_under_review') {
    if (evidence || params.submit !== undefined) {
      throw invalidRequest(`This dispute is already closed or under review (status ${dispute.status}): it cannot be updated.`, { code: 'charge_dispute_closed' });
    }
  }
  dispute.metadata = applyMetadata(dispute.metadata, params);
  Object.assign(dispute.evidence, given);
  for (const [field, value] of Object.entries(given)) if (value === '') delete dispute.evidence[field];
  if (!evidence && params.submit === undefined) return dispute;
  if (submit && (dispute.status === 'needs_response' || dispute.status === 'warning_needs_response')) {
    dispute.submissionCount += 1;
    dispute.status = dispute.status === 'needs_response' ? 'under_review' : 'warning_under_review';
    const text = dispute.evidence.uncategorized_text;
    if (text === WINNING_EVIDENCE || text === LOSING_EVIDENCE) {
      state.recordEvent('charge.dispute.updated', disputeObject(dispute, state, now), now);
      close(state, dispute, text === WINNING_EVIDENCE, now);
      return dispute;
    }
  }
  state.recordEvent('charge.dispute.updated', disputeObject(dispute, state, now), now);
  return dispute;
}

/** Accepting the dispute: lost (an inquiry: closed), the funds stay withdrawn. */
export function closeDispute(state: StripeState, dispute: DisputeRecord, params: Params, now: number): DisputeRecord {
  onlyKnown(params, ['expand']);
  if (CLOSED.includes(dispute.status)) return dispute;
  if (dispute.status === 'under_review') {
    throw invalidRequest('This dispute is under review and cannot be closed.', { code: 'charge_dispute_closed' });
  }
  close(state, dispute, false, now);
  return dispute;
}
