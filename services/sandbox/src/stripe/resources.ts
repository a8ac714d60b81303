import { invalidRequest } from './errors.js';
import type { BalanceTransactionRecord, ChargeRecord, DisputeRecord, EventRecord, BankAccountRecord, LastPaymentError, PaymentIntentRecord, PaymentMethodRecord, PayoutRecord, RefundRecord, StripeState } from './state.js';

/** The API version the sandbox's objects follow (the official `stripe` package v23's). */
export const API_VERSION = '2026-10-28.endive';

/** The objects as Stripe's API shows them (field shapes from Stripe's published fixtures and the `stripe` package types). */

export type StripeObject = Record<string, unknown>;

/** Stripe's dispute evidence fields (text ones; file ones take a file id, kept as given). */
export const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
] as const;


export function paymentMethodObject(pm: PaymentMethodRecord): StripeObject {
  const { card } = pm;
  return {
    id: pm.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: pm.billingDetails,
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: card.country,
      display_brand: card.brand,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: pm.created,
    customer: null,
    livemode: false,
    metadata: pm.metadata,
    type: 'card',
  };
}

function lastPaymentErrorObject(error: LastPaymentError, state: StripeState): StripeObject {
  const pm = state.paymentMethods.get(error.paymentMethodId);
  const object: StripeObject = { type: error.type, code: error.code, doc_url: error.doc_url, message: error.message };
  if (error.charge) object.charge = error.charge;
  if (error.decline_code) object.decline_code = error.decline_code;
  if (error.param) object.param = error.param;
  if (pm) object.payment_method = paymentMethodObject(pm);
  return object;
}

export function paymentIntentObject(pi: PaymentIntentRecord, state: StripeState): StripeObject {
  return {
    id: pi.id,
    object: 'payment_intent',
    amount: pi.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: pi.amountReceived,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: pi.canceledAt,
    cancellation_reason: pi.cancellationReason,
    capture_method: 'automatic',
    client_secret: pi.clientSecret,
    confirmation_method: 'automatic',
    created: pi.created,
    currency: pi.currency,
    customer: null,
    description: pi.description,
    last_payment_error: pi.lastPaymentError ? lastPaymentErrorObject(pi.lastPaymentError, state) : null,
    latest_charge: pi.latestChargeId,
    livemode: false,
    metadata: pi.metadata,
    next_action: pi.challenge ? { type: 'redirect_to_url', redirect_to_url: { url: pi.challenge.url, return_url: pi.returnUrl } } : null,
    on_behalf_of: null,
    payment_method: pi.paymentMethodId,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: pi.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: pi.status,
    transfer_data: null,
    transfer_group: null,
  };
}

function outcomeOf(charge: ChargeRecord): StripeObject {
  if (charge.status === 'succeeded') {
    return { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 20, seller_message: 'Payment complete.', type: 'authorized' };
  }
  return {
    network_status: 'declined_by_network',
    reason: charge.failure?.declineCode ?? null,
    risk_level: 'normal',
    risk_score: 20,
    seller_message: 'The bank did not return any further details with this decline.',
    type: 'issuer_declined',
  };
}

export function chargeObject(charge: ChargeRecord): StripeObject {
  const succeeded = charge.status === 'succeeded';
  const { card } = charge;
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: succeeded ? charge.amount : 0,
    amount_refunded: charge.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: charge.balanceTransactionId,
    billing_details: charge.billingDetails,
    calculated_statement_descriptor: 'TAMKEEN SANDBOX',
    captured: succeeded,
    created: charge.created,
    currency: charge.currency,
    customer: null,
    description: charge.description,
    disputed: charge.disputed,
    failure_balance_transaction: null,
    failure_code: charge.failure?.code ?? null,
    failure_message: charge.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: charge.metadata,
    on_behalf_of: null,
    outcome: outcomeOf(charge),
    paid: succeeded,
    payment_intent: charge.paymentIntentId,
    payment_method: charge.paymentMethodId,
    payment_method_details: {
      card: {
        amount_authorized: succeeded ? charge.amount : null,
        authorization_code: null,
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: card.country,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        fingerprint: card.fingerprint,
        funding: card.funding,
        last4: card.last4,
        network: card.brand,
        three_d_secure: charge.threeDSecure ? { authentication_flow: 'challenge', result: 'authenticated', result_reason: null, version: '2.2.0' } : null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: charge.receiptEmail,
    receipt_number: null,
    receipt_url: null,
    refunded: succeeded && charge.amountRefunded >= charge.amount,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: charge.status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function balanceTransactionObject(txn: BalanceTransactionRecord, now: number): StripeObject {
  return {
    id: txn.id,
    object: 'balance_transaction',
    amount: txn.amount,
    available_on: txn.availableOn,
    balance_type: 'payments',
    created: txn.created,
    currency: txn.currency,
    description: txn.description,
    exchange_rate: null,
    fee: txn.fee,
    fee_details: txn.feeDetails,
    net: txn.net,
    reporting_category: txn.reportingCategory,
    source: txn.sourceId,
    status: now >= txn.availableOn ? 'available' : 'pending',
    type: txn.type,
  };
}

export function refundObject(refund: RefundRecord): StripeObject {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    balance_transaction: refund.balanceTransactionId,
    charge: refund.chargeId,
    created: refund.created,
    currency: refund.currency,
    description: null,
    destination_details: { card: { reference: null, reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: refund.metadata,
    payment_intent: refund.paymentIntentId,
    reason: refund.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: refund.status,
    transfer_reversal: null,
  };
}

export function disputeObject(dispute: DisputeRecord, state: StripeState, now: number): StripeObject {
  const evidence: Record<string, unknown> = {};
  for (const field of EVIDENCE_FIELDS) evidence[field] = dispute.evidence[field] ?? null;
  evidence.enhanced_evidence = {};
  const charge = state.charges.get(dispute.chargeId);
  const inquiry = dispute.status.startsWith('warning_');
  return {
    id: dispute.id,
    object: 'dispute',
    amount: dispute.amount,
    balance_transactions: dispute.balanceTransactionIds.flatMap((id) => {
      const txn = state.balanceTransactions.get(id);
      return txn ? [balanceTransactionObject(txn, now)] : [];
    }),
    charge: dispute.chargeId,
    created: dispute.created,
    currency: dispute.currency,
    enhanced_eligibility_types: [],
    evidence,
    evidence_details: {
      due_by: dispute.dueBy,
      enhanced_eligibility: {},
      has_evidence: Object.keys(dispute.evidence).length > 0,
      past_due: now > dispute.dueBy,
      submission_count: dispute.submissionCount,
    },
    is_charge_refundable: inquiry,
    livemode: false,
    metadata: dispute.metadata,
    payment_intent: dispute.paymentIntentId,
    payment_method_details: {
      card: { brand: charge?.card.brand ?? 'visa', case_type: inquiry ? 'inquiry' : 'chargeback', network_reason_code: dispute.reason === 'fraudulent' ? '10.4' : '13.1' },
      type: 'card',
    },
    reason: dispute.reason,
    status: dispute.status,
  };
}

/** The account's bank account a payout goes to (Stripe's external account object, `bank_account`). */
export function bankAccountObject(account: BankAccountRecord): StripeObject {
  return {
    id: account.id,
    object: 'bank_account',
    account_holder_name: 'TREASURY',
    account_holder_type: 'company',
    account_type: null,
    available_payout_methods: ['standard'],
    bank_name: account.bankName,
    country: account.country,
    currency: account.currency,
    default_for_currency: true,
    fingerprint: account.id.slice(3, 19),
    last4: account.last4,
    metadata: {},
    routing_number: null,
    status: 'verified',
  };
}

/** A payout as Stripe shows one: automatic, to the account's bank account; its trace id once paid. */
export function payoutObject(payout: PayoutRecord): StripeObject {
  const settled = payout.status === 'paid' || payout.status === 'failed' || payout.status === 'canceled';
  return {
    id: payout.id,
    object: 'payout',
    amount: payout.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: payout.arrivalDate,
    automatic: true,
    balance_transaction: payout.balanceTransactionId,
    created: payout.created,
    currency: payout.currency,
    description: 'STRIPE PAYOUT',
    destination: payout.destination,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: payout.metadata,
    method: 'standard',
    original_payout: null,
    payout_method: null,
    reconciliation_status: 'completed',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: payout.statementDescriptor,
    status: payout.status,
    trace_id: settled ? { status: 'supported', value: payout.traceId } : { status: 'pending', value: null },
    type: 'bank_account',
  };
}

export function eventObject(event: EventRecord): StripeObject {
  return {
    id: event.id,
    object: 'event',
    api_version: API_VERSION,
    created: event.created,
    data: event.previousAttributes ? { object: event.object, previous_attributes: event.previousAttributes } : { object: event.object },
    livemode: false,
    pending_webhooks: event.pendingWebhooks,
    request: { id: null, idempotency_key: null },
    type: event.type,
  };
}

/** Any object by its id, as `expand[]` needs it. */
export function objectById(id: string, state: StripeState, now: number): StripeObject | undefined {
  if (id.startsWith('pm_')) {
    const pm = state.paymentMethods.get(id);
    return pm && paymentMethodObject(pm);
  }
  if (id.startsWith('pi_')) {
    const pi = state.paymentIntents.get(id);
    return pi && paymentIntentObject(pi, state);
  }
  if (id.startsWith('ch_')) {
    const charge = state.charges.get(id);
    return charge && chargeObject(charge);
  }
  if (id.startsWith('txn_')) {
    const txn = state.balanceTransactions.get(id);
    return txn && balanceTransactionObject(txn, now);
  }
  if (id.startsWith('re_')) {
    const refund = state.refunds.get(id);
    return refund && refundObject(refund);
  }
  if (id.startsWith('du_')) {
    const dispute = state.disputes.get(id);
    return dispute && disputeObject(dispute, state, now);
  }
  if (id.startsWith('ba_')) {
    const account = [...state.bankAccounts.values()].find((a) => a.id === id);
    return account && bankAccountObject(account);
  }
  if (id.startsWith('po_')) {
    const payout = state.payouts.get(id);
    return payout && payoutObject(payout);
  }
  return undefined;
}

/**
 * Replaces ids by their objects along each `expand[]` path (`latest_charge.balance_transaction`;
 * in lists, `data.latest_charge`), at most four levels deep as Stripe allows.
 */
export function expand(object: StripeObject, paths: string[] | undefined, state: StripeState, now: number): StripeObject {
  for (const path of paths ?? []) {
    const parts = path.split('.');
    if (parts.length > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path.slice(0, 100)}`, { param: 'expand' });
    expandAt(object, parts, path, state, now);
  }
  return object;
}

function expandAt(node: unknown, parts: string[], path: string, state: StripeState, now: number): void {
  if (Array.isArray(node)) {
    for (const item of node) expandAt(item, parts, path, state, now);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const [head, ...rest] = parts as [string, ...string[]];
  const holder = node as StripeObject;
  if (!(head in holder)) throw invalidRequest(`This property cannot be expanded (${path.slice(0, 100)}).`, { param: 'expand' });
  let value = holder[head];
  if (typeof value === 'string') {
    const found = objectById(value, state, now);
    if (!found) throw invalidRequest(`This property cannot be expanded (${path.slice(0, 100)}).`, { param: 'expand' });
    holder[head] = found;
    value = found;
  } else if (value !== null && (typeof value !== 'object' || rest.length === 0) && !(head === 'data' && Array.isArray(value))) {
    throw invalidRequest(`This property cannot be expanded (${path.slice(0, 100)}).`, { param: 'expand' });
  }
  if (rest.length > 0 && value !== null) expandAt(value, rest, path, state, now);
}
