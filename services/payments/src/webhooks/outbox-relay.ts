import type { Knex } from '@tamkeen/db';
import { postWebhook, type Logger } from '@tamkeen/http-kit';
import { runRelayRounds, type RelayRounds } from '../relay-rounds.js';

export interface RelayOptions {
  knex: Knex;
  logger: Logger;
  /** How often the outbox is looked at when the last look found nothing to do. */
  pollMs?: number;
  /** Rows claimed (and posted concurrently) per round. */
  batchSize?: number;
  /** Posts of one row before it is dead-lettered (`failed`). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffMs`, with jitter. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a receiver may take to answer. */
  timeoutMs?: number;
}

/** `runOnce`: one round — claims due rows, posts them, records the outcomes; answers how many it claimed. */
export type OutboxRelay = RelayRounds;

interface Claimed {
  id: string;
  organisation_id: string;
  event_type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
}

/** The delay before the next post of a row posted `attempts` times: exponential, capped, with jitter (50–100 %). */
export function backoffDelay(attempts: number, backoffMs: number, maxBackoffMs: number, random = Math.random): number {
  const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * Posts the outbox to the ministries' webhooks. Every instance of the service may run one: a row
 * is claimed under `FOR UPDATE SKIP LOCKED` and leased (its next attempt pushed past the post's
 * timeout) in a short transaction, so two relays never post the same row at once, and a relay that
 * dies mid-post leaves the row to be posted again when the lease ends (at least once; the body's
 * `id` lets the receiver drop a repeat). A payment's notices go in order of creation: a row is due
 * only when no earlier row of its payment is still pending. A 2xx marks it `delivered`; anything
 * else is retried with backoff until `maxAttempts`, then it is `failed` (listed at
 * /payments/v1/webhook/deliveries?status=failed). A row due while its organisation has no
 * endpoint is `skipped`: registering one later does not replay the past.
 */
export function startOutboxRelay({ knex, logger, pollMs = 1_000, batchSize = 50, maxAttempts = 12, backoffMs = 10_000, maxBackoffMs = 3_600_000, timeoutMs = 10_000 }: RelayOptions): OutboxRelay {
  const leaseSeconds = Math.ceil(timeoutMs / 1000) + 30;

  async function claim(): Promise<Claimed[]> {
    const result = await knex.raw<{ rows: Claimed[] }>(
      `update outbox o set attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => ?)
        where o.id in (
          select c.id from outbox c
           where c.status = 'pending' and c.next_attempt_at <= now()
             and not exists (select 1 from outbox e where e.payment_id = c.payment_id and e.status = 'pending' and e.seq < c.seq)
           order by c.seq
           limit ?
           for update skip locked)
        returning o.id, o.organisation_id, o.event_type, o.payload, o.created_at, o.attempts`,
      [leaseSeconds, batchSize],
    );
    return result.rows;
  }

  /** Posts one row; answers 'delivered' (recorded by the caller with the round's others), or records what else happened. */
  async function deliver(row: Claimed, endpoint: { url: string; secret: string } | undefined): Promise<'delivered' | 'not delivered'> {
    if (!endpoint) {
      await knex('outbox').where({ id: row.id }).update({ status: 'skipped', last_error: 'no webhook endpoint registered' });
      return 'not delivered';
    }
    const body = JSON.stringify({ id: row.id, type: row.event_type, created_at: row.created_at.toISOString(), data: row.payload });
    const posted = await postWebhook(endpoint.url, endpoint.secret, body, { timeoutMs });
    if (posted.delivered) return 'delivered';
    if (row.attempts >= maxAttempts) {
      logger.warn({ outbox: row.id, attempts: row.attempts, reason: posted.reason }, 'webhook not delivered; attempts exhausted, dead-lettered');
      await knex('outbox').where({ id: row.id }).update({ status: 'failed', last_error: posted.reason });
    } else {
      const delay = backoffDelay(row.attempts, backoffMs, maxBackoffMs);
      logger.info({ outbox: row.id, attempts: row.attempts, reason: posted.reason, retryInMs: delay }, 'webhook not delivered; will retry');
      await knex('outbox')
        .where({ id: row.id })
        .update({ last_error: posted.reason, next_attempt_at: knex.raw(`now() + make_interval(secs => ?)`, [delay / 1000]) });
    }
    return 'not delivered';
  }

  async function runOnce(): Promise<number> {
    const rows = await claim();
    if (rows.length === 0) return 0;
    const organisations = [...new Set(rows.map((r) => r.organisation_id))];
    const endpoints = new Map(
      (await knex('webhook_endpoints').whereIn('organisation_id', organisations).select('organisation_id', 'url', 'secret')).map((e: { organisation_id: string; url: string; secret: string }) => [e.organisation_id, e]),
    );
    const outcomes = await Promise.all(rows.map((row) => deliver(row, endpoints.get(row.organisation_id))));
    // The round's deliveries recorded in one statement (a busy relay delivers dozens a round).
    const delivered = rows.filter((_, i) => outcomes[i] === 'delivered').map((row) => row.id);
    if (delivered.length > 0) await knex('outbox').whereIn('id', delivered).update({ status: 'delivered', delivered_at: knex.fn.now(), last_error: null });
    return rows.length;
  }

  return runRelayRounds({ round: runOnce, batchSize, pollMs, logger, what: 'the webhook relay' });
}
