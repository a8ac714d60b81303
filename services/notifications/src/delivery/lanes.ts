import { batched } from '@tamkeen/db';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export type Lane = 'priority' | 'bulk';

/** One queue per lane, so that a bulk backlog never delays a one-time code. */
export const LANE_QUEUES: Record<Lane, string> = { priority: 'notifications-priority', bulk: 'notifications-bulk' };

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first retry's delay; each next one doubles, with jitter. */
  backoffMs: number;
}

export interface Lanes {
  /** Queues the notification for sending; a notification already queued is not queued twice. */
  add(lane: Lane, notificationId: string): Promise<void>;
  /** Queues again a notification whose job failed for good (its old job is removed first). */
  requeue(lane: Lane, notificationId: string): Promise<void>;
  depth(lane: Lane): Promise<number>;
  /** Jobs by state (waiting, active, delayed, failed), for metrics. */
  counts(lane: Lane): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** `prefix` keeps the keys of a deployment (or a test file) apart in the shared Redis. */
export function openLanes(connection: Redis, policy: RetryPolicy, prefix = 'tamkeen'): Lanes {
  const queues: Record<Lane, Queue> = {
    priority: new Queue(LANE_QUEUES.priority, { connection, prefix }),
    bulk: new Queue(LANE_QUEUES.bulk, { connection, prefix }),
  };
  const job = (notificationId: string) => ({
    name: 'send',
    data: { notificationId },
    opts: {
      // The notification id as the job id: adding it again while it is queued does nothing.
      jobId: notificationId,
      attempts: policy.attempts,
      backoff: { type: 'exponential' as const, delay: policy.backoffMs, jitter: 0.5 },
      // A sent notification's record is PostgreSQL's; its finished job is not kept (nor does it block a re-queue).
      removeOnComplete: true,
      removeOnFail: { count: 10_000 },
    },
  });
  // Notifications accepted together are queued together: one round trip to Redis (addBulk).
  const addTo = (queue: Queue) => batched(async (ids: readonly string[]) => (await queue.addBulk(ids.map(job))).map(() => undefined));
  const adders: Record<Lane, (notificationId: string) => Promise<void>> = { priority: addTo(queues.priority), bulk: addTo(queues.bulk) };
  return {
    add: (lane, notificationId) => adders[lane](notificationId),
    async requeue(lane, notificationId) {
      const old = await queues[lane].getJob(notificationId);
      if (old) await old.remove();
      await this.add(lane, notificationId);
    },
    async counts(lane) {
      return queues[lane].getJobCounts('waiting', 'active', 'delayed', 'failed');
    },
    async depth(lane) {
      return queues[lane].count();
    },
    async close() {
      await Promise.all([queues.priority.close(), queues.bulk.close()]);
    },
  };
}
