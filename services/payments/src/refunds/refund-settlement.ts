import type { Logger } from '@tamkeen/http-kit';
import { PspError, PspRequestRefused, type PaymentProvider, type RefundSnapshot } from '../psp/payment-provider.js';
import type { Refund, RefundRepository } from './refund-repository.js';

/**
 * Asks the PSP how a submitted refund ended and settles it: `succeeded` (posted to the ledger) or
 * `failed` (the amount is available again); left submitted when the PSP cannot say now. The call
 * repeats the first one with the same idempotency key (the PSP answers it as the first time, or
 * does it now), or reads the PSP's refund when it answered `pending` before. Shared by the refund
 * API (creating, reading) and the sweep of refunds left submitted (psp-sweep.ts).
 */
export async function settleRefundWithPsp({ refunds, psp, logger }: { refunds: RefundRepository; psp: PaymentProvider; logger: Logger }, refund: Refund, intentId: string | null): Promise<Refund> {
  if (refund.status !== 'submitted' || !intentId) return refund;
  let answer: RefundSnapshot;
  try {
    answer = refund.pspRefundId ? await psp.retrieveRefund(refund.pspRefundId) : await psp.refund({ intentId, amount: refund.amount, refundId: refund.id });
  } catch (error) {
    if (error instanceof PspRequestRefused && !refund.pspRefundId) {
      return (await refunds.settle(refund.id, { status: 'failed', pspRefundId: null, failureCode: error.code ?? error.type ?? 'refused' })) ?? refund;
    }
    if (!(error instanceof PspError)) throw error;
    logger.warn({ refund: refund.id, err: error.message }, 'the PSP could not settle a refund; it stays submitted');
    return refund;
  }
  if (answer.status === 'pending') {
    await refunds.notePspId(refund.id, answer.pspRefundId);
    return { ...refund, pspRefundId: answer.pspRefundId };
  }
  const settled = await refunds.settle(refund.id, answer.status === 'succeeded' ? { status: 'succeeded', pspRefundId: answer.pspRefundId } : { status: 'failed', pspRefundId: answer.pspRefundId, failureCode: 'refund_failed' });
  return settled ?? refund;
}
