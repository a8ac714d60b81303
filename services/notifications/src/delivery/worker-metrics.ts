import { storeChecks, type Stores } from '@tamkeen/db';
import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What the sending workers count: sends and failures per lane, and how long a notification waited. */
export interface DeliveryMetrics {
  registry: Registry;
  sent: Counter<'lane' | 'type'>;
  failed: Counter<'lane' | 'type' | 'kind'>;
  /** From acceptance by the API to the provider taking it. */
  latency: Histogram<'lane' | 'type'>;
}

/** The worker process's metrics: the platform's usual ones (http-kit), plus the sending counters. */
export function createDeliveryMetrics(): DeliveryMetrics & ReturnType<typeof createMetrics> {
  const service = createMetrics('notifications-worker');
  const registers = [service.registry];
  return {
    ...service,
    sent: new Counter({ name: 'notifications_sent_total', help: 'Notifications handed to a provider.', labelNames: ['lane', 'type'] as const, registers }),
    failed: new Counter({
      name: 'notifications_failed_total',
      help: 'Failed sends: temporary (will retry), permanent (refused for good), exhausted (technical-failure).',
      labelNames: ['lane', 'type', 'kind'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'notifications_delivery_latency_seconds',
      help: 'From acceptance by the API to the provider taking the notification.',
      labelNames: ['lane', 'type'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
  };
}

/**
 * The worker process has no API of its own: it serves what every service does, /healthz, /readyz
 * (PostgreSQL and Redis answer) and /metrics, through http-kit's service app.
 */
export function workerApp({ logger, stores, metrics }: { logger: Logger; stores: Pick<Stores, 'knex' | 'redis'>; metrics: ReturnType<typeof createDeliveryMetrics> }): Express {
  return createServiceApp({ logger, readiness: storeChecks(stores), metrics }, () => undefined);
}
