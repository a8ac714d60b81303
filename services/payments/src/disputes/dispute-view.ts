import type { Dispute } from './dispute-repository.js';

/** A dispute as the API (and the ministry's webhook) shows it. */
export const disputeView = (d: Dispute) => ({
  id: d.id,
  payment_id: d.paymentId,
  psp_dispute_id: d.pspDisputeId,
  amount: d.amount,
  currency: d.currency,
  reason: d.reason,
  status: d.status,
  evidence_due_by: d.evidenceDueBy?.toISOString() ?? null,
  created_at: d.createdAt.toISOString(),
  updated_at: d.updatedAt.toISOString(),
});

export type DisputeView = ReturnType<typeof disputeView>;
