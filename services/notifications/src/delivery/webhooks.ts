import type { Knex } from '@tamkeen/db';
import { postWebhook, type Logger } from '@tamkeen/http-kit';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export const WEBHOOK_QUEUE = 'notification-webhooks';

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
      const posted = await postWebhook(target.url, target.secret, body);
      if (!posted.delivered) throw new Error(`the webhook was not acknowledged: ${posted.reason}`);
      return 'posted';
    },
    { connection, prefix, concurrency: 20 },
  );
  worker.on('failed', (job, error) => logger.warn({ notification: job?.data.notificationId, attempt: job?.attemptsMade, reason: error.message }, 'webhook not delivered; will retry'));
  worker.on('error', (error) => logger.warn({ err: error }, 'webhook worker error'));
  return { close: () => worker.close() };
}
