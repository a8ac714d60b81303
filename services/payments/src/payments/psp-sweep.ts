import type { Logger } from '@tamkeen/http-kit';
import { runEvery, type PeriodicJob } from '../periodic-job.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import type { RefundRepository } from '../refunds/refund-repository.js';
import { settleRefundWithPsp } from '../refunds/refund-settlement.js';
import type { PaymentRepository } from './payment-repository.js';
import { settleSubmittedWithPsp } from './payment-settlement.js';

export interface PspSweepDeps {
  payments: PaymentRepository;
  refunds: RefundRepository;
  psp: PaymentProvider;
  logger: Logger;
}

/**
 * Settles what the PSP was asked and never answered: a payment left `submitted` (the citizen
 * closed the tab during 3-D Secure, the confirmation timed out, the service restarted mid-call, and
 * no PSP webhook came) and a refund left `submitted` (the PSP was down). Those older than
 * `olderThanMs` are asked of the PSP again, exactly as reading them would (payment-settlement.ts,
 * refund-settlement.ts: the same idempotent calls, the same race-safe moves), so the sweep and a
 * reader or a webhook never settle one twice. Answers how many it settled.
 */
export async function sweepSubmitted({ payments, refunds, psp, logger }: PspSweepDeps, { now = new Date(), olderThanMs = 10 * 60_000, batch = 100 } = {}): Promise<{ payments: number; refunds: number }> {
  const before = new Date(now.getTime() - olderThanMs);
  let settledPayments = 0;
  for (const payment of await payments.submittedBefore(before, batch)) {
    if ((await settleSubmittedWithPsp({ payments, psp, logger }, payment)).status !== 'submitted') settledPayments++;
  }
  let settledRefunds = 0;
  for (const { refund, intentId } of await refunds.submittedBefore(before, batch)) {
    if ((await settleRefundWithPsp({ refunds, psp, logger }, refund, intentId)).status !== 'submitted') settledRefunds++;
  }
  return { payments: settledPayments, refunds: settledRefunds };
}

/** Runs sweepSubmitted every `everyMs` (every instance may: each move is race-safe). */
export function startPspSweep(deps: PspSweepDeps, { everyMs = 60_000, olderThanMs = 10 * 60_000 } = {}): PeriodicJob {
  return runEvery(everyMs, () => sweepSubmitted(deps, { olderThanMs }), (error) => deps.logger.error({ err: error }, 'the sweep of payments and refunds left submitted failed; it runs again in a minute'));
}
