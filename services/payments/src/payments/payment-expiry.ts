import { runEvery, type PeriodicJob } from '../periodic-job.js';
import type { Payment, PaymentRepository } from './payment-repository.js';

const EXPIRY = { data: { reason: 'not completed in time' } };

/**
 * Expires unfinished payments past their time, `batch` at a time, every `everyMs`. Every instance
 * may run it: each expiry is a transition under a row lock, so two sweeps never expire one payment
 * twice, and a citizen submitting at that moment wins or loses cleanly (payment-repository.ts).
 */
export function startExpirySweep(payments: PaymentRepository, onError: (error: unknown) => void, { everyMs = 60_000, batch = 500, now = () => new Date() } = {}): PeriodicJob {
  return runEvery(everyMs, () => expireDuePayments(payments, now(), batch), onError);
}

/** One sweep now (for tests and operators). */
export async function expireDuePayments(payments: PaymentRepository, now = new Date(), batch = 500): Promise<number> {
  const due = await payments.dueToExpire(now, batch);
  let expired = 0;
  for (const id of due) if ((await payments.transition(id, 'expire', EXPIRY)).outcome === 'applied') expired++;
  return expired;
}

/** The payment as a reader must see it: expired first when it is unfinished and past its time (so nobody sees it payable). */
export async function expiredIfDue(payments: PaymentRepository, payment: Payment, now: Date): Promise<Payment> {
  if ((payment.status !== 'created' && payment.status !== 'started') || payment.expiresAt > now) return payment;
  const expired = await payments.transition(payment.id, 'expire', EXPIRY);
  return expired.outcome === 'not_found' ? payment : expired.payment;
}
