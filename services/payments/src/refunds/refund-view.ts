import type { Refund } from './refund-repository.js';

/** A refund as the API (and the webhook notices) show it. */
export function refundView(r: Refund) {
  return {
    id: r.id,
    payment_id: r.paymentId,
    amount: r.amount,
    currency: r.currency,
    ...(r.reason ? { reason: r.reason } : {}),
    status: r.status,
    ...(r.failureCode ? { failure_code: r.failureCode } : {}),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
