import type { Payment, PaymentEventRecord } from './payment-repository.js';

/** A payment as the API shows it; `next_url` (the citizen's payment page) while it can still be paid. */
export function paymentView(p: Payment, publicUrl: string) {
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
    ...(p.status === 'created' || p.status === 'started' ? { next_url: `${publicUrl}/pay/${p.id}` } : {}),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
    expires_at: p.expiresAt.toISOString(),
  };
}

export function paymentEventView(e: PaymentEventRecord) {
  return { event: e.event, from_status: e.fromStatus, to_status: e.toStatus, at: e.at.toISOString() };
}
