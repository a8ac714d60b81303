import type { Knex } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import type { Currency } from '../domain/money.js';
import { backoffDelay } from '../webhooks/outbox-relay.js';
import type { ReceiptChannel } from './receipt-queue.js';
import type { ReceiptSender, SendOutcome } from './receipt-sender.js';
import { receiptText, type MinistryName, type ReceiptLanguage } from './receipt-text.js';
import { runRelayRounds, type RelayRounds } from '../relay-rounds.js';

export interface ReceiptRelayOptions {
  knex: Knex;
  logger: Logger;
  /** The notifications service; without one (NOTIFICATIONS_URL unset) every due receipt is `skipped`. */
  sender: ReceiptSender | undefined;
  /** The ministry's name for its receipts, once payments knows it; until then the organisation's id. */
  ministryName?: (organisationId: string) => Promise<MinistryName | undefined>;
  /** How often the receipts are looked at when the last look found nothing to do. */
  pollMs?: number;
  /** Receipts claimed (and sent concurrently) per round. */
  batchSize?: number;
  /** Sends of one receipt before it is dead-lettered (`failed`). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffMs`, with jitter. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long one call to the notifications service (or the token endpoint) may take. */
  timeoutMs?: number;
}

/** `runOnce`: one round — claims due receipts, sends them, records the outcomes; answers how many it claimed. */
export type ReceiptRelay = RelayRounds;

interface Claimed {
  id: string;
  payment_id: string;
  channel: ReceiptChannel;
  address: string;
  language: ReceiptLanguage;
  attempts: number;
  created_at: Date;
  organisation_id: string;
  amount: string;
  currency: Currency;
  reference: string;
  description: string;
}

const NOT_CONFIGURED = 'receipts are not sent: NOTIFICATIONS_URL is not set';

/**
 * Sends the receipts (receipt-queue.ts) through the notifications service. Every instance of the
 * service may run one: a receipt is claimed under `FOR UPDATE SKIP LOCKED` and leased (its next
 * attempt pushed past the calls' timeouts) in a short transaction, so two relays never send the
 * same receipt at once, and a relay that dies mid-send leaves it to be sent again when the lease
 * ends — with the same Idempotency-Key (the receipt's id), so the citizen still gets one message.
 * Accepted: `sent`, with the notification's id. Refused for good (an invalid number): `failed` at
 * once. Anything else is retried with backoff (at least what a 429's Retry-After asks) until
 * `maxAttempts`, then `failed`. Outcomes are recorded only on a receipt still pending.
 */
export function startReceiptRelay({ knex, logger, sender, ministryName = async () => undefined, pollMs = 1_000, batchSize = 20, maxAttempts = 20, backoffMs = 5_000, maxBackoffMs = 3_600_000, timeoutMs = 10_000 }: ReceiptRelayOptions): ReceiptRelay {
  // A send may take a token, a template and the send itself: three calls.
  const leaseSeconds = Math.ceil((3 * timeoutMs) / 1000) + 30;
  if (!sender) logger.warn(NOT_CONFIGURED);

  async function claim(): Promise<Claimed[]> {
    const result = await knex.raw<{ rows: Claimed[] }>(
      `with claimed as (
         update receipts r set attempts = r.attempts + 1, next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
          where r.id in (
            select c.id from receipts c
             where c.status = 'pending' and c.next_attempt_at <= now()
             order by c.next_attempt_at
             limit ?
             for update skip locked)
          returning r.id, r.payment_id, r.channel, r.address, r.language, r.attempts, r.created_at)
       select claimed.*, p.organisation_id, p.amount, p.currency, p.reference, p.description
         from claimed join payments p on p.id = claimed.payment_id`,
      [leaseSeconds, batchSize],
    );
    return result.rows;
  }

  /** Marks due receipts `skipped`: nothing can send them, and configuring it later does not replay the past. */
  async function skipDue(): Promise<number> {
    return knex('receipts')
      .whereIn('id', knex('receipts').select('id').where('status', 'pending').andWhere('next_attempt_at', '<=', knex.fn.now()).limit(batchSize).forUpdate().skipLocked())
      .update({ status: 'skipped', last_error: NOT_CONFIGURED, updated_at: knex.fn.now() });
  }

  const stillPending = (id: string) => knex('receipts').where({ id, status: 'pending' });

  async function record(row: Claimed, outcome: SendOutcome): Promise<void> {
    if (outcome.kind === 'sent') {
      await stillPending(row.id).update({ status: 'sent', notification_id: outcome.notificationId, sent_at: knex.fn.now(), last_error: null, updated_at: knex.fn.now() });
    } else if (outcome.kind === 'refused' || row.attempts >= maxAttempts) {
      logger.warn({ receipt: row.id, payment: row.payment_id, channel: row.channel, attempts: row.attempts, reason: outcome.reason }, outcome.kind === 'refused' ? 'receipt refused by the notifications service; failed' : 'receipt not sent; attempts exhausted, dead-lettered');
      await stillPending(row.id).update({ status: 'failed', last_error: outcome.reason, updated_at: knex.fn.now() });
    } else {
      const delay = Math.max(backoffDelay(row.attempts, backoffMs, maxBackoffMs), outcome.retryAfterMs ?? 0);
      logger.info({ receipt: row.id, attempts: row.attempts, reason: outcome.reason, retryInMs: delay }, 'receipt not sent; will retry');
      await stillPending(row.id).update({ last_error: outcome.reason, next_attempt_at: knex.raw(`now() + make_interval(secs => ?)`, [delay / 1000]), updated_at: knex.fn.now() });
    }
  }

  async function deliver(row: Claimed, send: ReceiptSender, names: Map<string, MinistryName | undefined>): Promise<void> {
    const text = receiptText(
      { id: row.payment_id, organisationId: row.organisation_id, amount: Number(row.amount), currency: row.currency, reference: row.reference, description: row.description, paidAt: row.created_at, language: row.language },
      names.get(row.organisation_id),
    );
    const outcome = await send.send({ id: row.id, paymentId: row.payment_id, channel: row.channel, address: row.address, language: row.language, text }).catch((error: unknown): SendOutcome => ({ kind: 'retry', reason: `sending failed: ${(error as Error).message}` }));
    await record(row, outcome);
  }

  async function runOnce(): Promise<number> {
    if (!sender) return skipDue();
    const rows = await claim();
    if (rows.length === 0) return 0;
    const organisations = [...new Set(rows.map((r) => r.organisation_id))];
    const names = new Map(await Promise.all(organisations.map(async (o) => [o, await ministryName(o).catch(() => undefined)] as const)));
    await Promise.all(rows.map((row) => deliver(row, sender, names)));
    return rows.length;
  }

  return runRelayRounds({ round: runOnce, batchSize, pollMs, logger, what: 'the receipt relay' });
}
