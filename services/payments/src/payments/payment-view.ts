import type { Payment, PaymentEventRecord } from './payment-repository.js';

/** A payment's refunds in figures: refunded (succeeded) and held by refunds the PSP has not answered yet (submitted). */
export interface PaymentRefunds {
  succeeded: number;
  submitted: number;
}

/**
 * A payment as the API shows it; `next_url` (the citizen's payment page) while it can still be
 * paid; with its refunds' figures, `refund_summary` (as GOV.UK Pay's): what was refunded, and
 * what can still be (0 unless it succeeded; refunds in flight count in neither).
 */
export function paymentView(p: Payment, publicUrl: string, refunds?: PaymentRefunds) {
  return {
    id: p.id,
    amount: p.amount,
    currency: p.currency,
    reference: p.reference,
    description: p.description,
    return_url: p.returnUrl,
    status: p.status,
    ...(p.email ? { email: p.email } : {}),
    ...(p.phoneNumber ? { phone_number: p.phoneNumber } : {}),
    metadata: p.metadata,
    // Who paid: the citizen who logged in to pay (their `sub` at the citizen issuer), when the amount needed a login.
    ...(p.paidBy ? { paid_by: p.paidBy } : {}),
    ...(p.status === 'created' || p.status === 'started' ? { next_url: `${publicUrl}/pay/${p.id}` } : {}),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
    expires_at: p.expiresAt.toISOString(),
    // As GOV.UK Pay's: the PSP's processing fee and what is left of the amount, once the PSP has said (a succeeded card payment).
    ...(p.pspFee !== null ? { fee: p.pspFee, net_amount: p.amount - p.pspFee } : {}),
    // As GOV.UK Pay's settled_date: the day the card processor's payout of it reached the treasury's bank, once reconciled.
    ...(p.settledDate !== null ? { settled_date: p.settledDate, payout_id: p.payoutId } : {}),
    ...(refunds
      ? { refund_summary: { amount_refunded: refunds.succeeded, amount_available: p.status === 'succeeded' ? p.amount - refunds.succeeded - refunds.submitted : 0 } }
      : {}),
  };
}

export function paymentEventView(e: PaymentEventRecord) {
  return {
    event: e.event,
    from_status: e.fromStatus,
    to_status: e.toStatus,
    at: e.at.toISOString(),
    // A login to pay: who (the paid_by it recorded) and at which level.
    ...(e.event === 'login' ? { sub: String(e.data.sub ?? ''), acr: String(e.data.acr ?? '') } : {}),
  };
}
