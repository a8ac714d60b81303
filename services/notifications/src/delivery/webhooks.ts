import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export const WEBHOOK_QUEUE = 'notification-webhooks';

/** A fresh signing secret for an organisation's webhook (shown to it once, when set). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/**
 * `Tamkeen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its
 * webhooks: the receiver recomputes it with its secret and refuses old timestamps (replays).
 */
export function webhookSignature(secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

/**
 * A RETURNING column for an update of `notifications`: whether its organisation has a webhook,
 * read in the same statement, so that a status change is queued for posting only when someone
 * will be told (most organisations have none; a job per change would cost every send).
 */
export function webhookWanted(knex: Knex) {
  return knex.raw('exists (select 1 from organisation_webhooks w where w.organisation_id = notifications.organisation_id) as webhook_wanted');
}

export interface StatusChanges {
  /** Queues a POST of the notification's new status to its organisation's webhook (see `webhookWanted`). */
  changed(notificationId: string, status: string): Promise<void>;
  close(): Promise<void>;
}

export function openStatusChanges(connection: Redis, prefix: string, { attempts = 8, backoffMs = 5_000 } = {}): StatusChanges {
  const queue = new Queue(WEBHOOK_QUEUE, { connection, prefix });
  return {
    async changed(notificationId, status) {
      await queue.add(
        'post',
        { notificationId, status },
        // One post per status of a notification, however often the change is reported.
        { jobId: `${notificationId}~${status}`, attempts, backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 }, removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } },
      );
    },
    close: () => queue.close(),
  };
}

interface Target {
  id: string;
  reference: string | null;
  type: string;
  status: string;
  updated_at: Date;
  url: string;
  secret: string;
}

/** Posts queued status changes; a receiver that does not answer 2xx is tried again with backoff. */
export function startWebhookWorker({ connection, prefix, knex, logger }: { connection: Redis; prefix: string; knex: Knex; logger: Logger }): { close(): Promise<void> } {
  const worker = new Worker<{ notificationId: string; status: string }>(
    WEBHOOK_QUEUE,
    async (job) => {
      const target = await knex('notifications as n')
        .join('organisation_webhooks as w', 'w.organisation_id', 'n.organisation_id')
        .where('n.id', job.data.notificationId)
        .first<Target | undefined>('n.id', 'n.reference', 'n.type', 'n.status', 'n.updated_at', 'w.url', 'w.secret');
      if (!target) return 'no webhook';
      const body = JSON.stringify({ id: target.id, reference: target.reference, type: target.type, status: job.data.status, updated_at: target.updated_at.toISOString() });
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Tamkeen-Signature': webhookSignature(target.secret, body) },
        body,
        signal: AbortSignal.timeout(10_000),
        redirect: 'manual',
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
      return 'posted';
    },
    { connection, prefix, concurrency: 20 },
  );
  worker.on('failed', (job, error) => logger.warn({ notification: job?.data.notificationId, attempt: job?.attemptsMade, reason: error.message }, 'webhook not delivered; will retry'));
  worker.on('error', (error) => logger.warn({ err: error }, 'webhook worker error'));
  return { close: () => worker.close() };
}
