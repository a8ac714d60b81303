import type { Logger } from '@tamkeen/http-kit';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { notificationDelivery, PermanentFailure, type DeliveryDeps } from './deliver.js';
import { LANE_QUEUES, type Lane } from './lanes.js';
import type { DeliveryMetrics } from './worker-metrics.js';

export interface WorkersOptions extends DeliveryDeps {
  /** A connection for blocking commands (maxRetriesPerRequest: null), one per worker. */
  connection: () => Redis;
  prefix?: string;
  concurrency?: Record<Lane, number>;
  metrics?: DeliveryMetrics;
}

export interface RunningWorkers {
  /** Finishes the jobs in hand, then stops. */
  close(): Promise<void>;
}

/** One worker per lane: the priority lane is never stuck behind the bulk one. */
export function startWorkers({ connection, prefix = 'tamkeen', concurrency = { priority: 20, bulk: 20 }, metrics, ...deps }: WorkersOptions): RunningWorkers {
  const logger: Logger = deps.logger;
  const delivery = notificationDelivery(deps);
  const workers = (Object.keys(LANE_QUEUES) as Lane[]).map((lane) => {
    const worker = new Worker<{ notificationId: string }>(
      LANE_QUEUES[lane],
      async (job) => {
        try {
          const outcome = await delivery.deliver(job.data.notificationId);
          if (outcome !== 'skipped') {
            metrics?.sent.inc({ lane, type: outcome.type });
            metrics?.latency.observe({ lane, type: outcome.type }, (Date.now() - outcome.acceptedAt.getTime()) / 1000);
          }
          return outcome === 'skipped' ? 'skipped' : 'sent';
        } catch (error) {
          const permanent = error instanceof PermanentFailure;
          metrics?.failed.inc({ lane, type: 'any', kind: permanent ? 'permanent' : 'temporary' });
          if (permanent) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      { connection: connection(), prefix, concurrency: concurrency[lane], autorun: true },
    );
    worker.on('failed', (job, error) => {
      // A permanent failure was recorded where it happened.
      if (!job || error instanceof UnrecoverableError) return;
      const notification = job.data.notificationId;
      if (job.attemptsMade < (job.opts.attempts ?? 1)) {
        logger.warn({ notification, attempt: job.attemptsMade, lane, reason: error.message }, 'sending failed; will retry');
        return;
      }
      metrics?.failed.inc({ lane, type: 'any', kind: 'exhausted' });
      delivery.giveUp(notification).then(
        () => logger.error({ notification, attempts: job.attemptsMade, lane }, 'gave up sending: technical-failure'),
        // Left `sending` with no provider id: the recovery sweep takes it up again.
        (err: unknown) => logger.error({ err, notification, lane }, 'gave up sending, but could not record it'),
      );
    });
    worker.on('error', (error) => logger.warn({ err: error, lane }, 'worker error'));
    return worker;
  });
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
