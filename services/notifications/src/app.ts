import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import { Gauge } from 'prom-client';
import type { Express } from 'express';
import type { NotificationsConfig } from './config.js';
import type { Lanes } from './delivery/lanes.js';
import { sendingRateLimiter } from './delivery/rate-limit.js';
import { twilioCallbackRoutes } from './delivery/twilio-callbacks.js';
import type { StatusChanges } from './delivery/webhooks.js';
import { webhookRoutes } from './delivery/webhook-routes.js';
import { notificationRepository } from './notifications/notification-repository.js';
import { notificationRoutes } from './notifications/notification-routes.js';
import { templateRepository } from './templates/template-repository.js';
import { templateRoutes } from './templates/template-routes.js';

export interface NotificationsDeps {
  config: NotificationsConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
  /** Verifies the enterprise issuer's access tokens (accessTokenVerifier in main). */
  verifyAccessToken: AccessTokenVerifier;
  /** The sending queues (openLanes in main). */
  lanes: Lanes;
  /** The organisations' status webhooks (openStatusChanges in main). */
  statusChanges: StatusChanges;
}

export function createApp({ config, logger, knex, redis, verifyAccessToken, lanes, statusChanges }: NotificationsDeps): Express {
  const metrics = createMetrics('notifications');
  new Gauge({
    name: 'notifications_queue_jobs',
    help: 'Jobs in each lane by state (waiting, active, delayed, failed), read when scraped.',
    labelNames: ['lane', 'state'] as const,
    registers: [metrics.registry],
    async collect() {
      for (const lane of ['priority', 'bulk'] as const) {
        const counts = await lanes.counts(lane).catch(() => ({}) as Record<string, number>);
        for (const [state, count] of Object.entries(counts)) this.set({ lane, state }, count);
      }
    },
  });
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics, bodyLimit: config.BODY_LIMIT }, (router) => {
    const templates = templateRepository(knex);
    templateRoutes(router, templates, verifyAccessToken);
    const rateLimiter = sendingRateLimiter(redis, knex, { defaultPerMinute: config.RATE_LIMIT_PER_MINUTE, prefix: config.QUEUE_PREFIX });
    notificationRoutes(router, { notifications: notificationRepository(knex), templates, verify: verifyAccessToken, lanes, rateLimiter, logger });
    twilioCallbackRoutes(router, { knex, logger, authToken: config.TWILIO_AUTH_TOKEN, publicUrl: config.SMS_STATUS_CALLBACK_URL, statusChanges });
    webhookRoutes(router, knex, verifyAccessToken);
  });
}
