import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { NotificationsConfig } from './config.js';

export interface NotificationsDeps {
  config: NotificationsConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export function createApp({ config, logger, knex, redis }: NotificationsDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('notifications'), bodyLimit: config.BODY_LIMIT }, (router) => {
    notBuilt(router, '/notifications/v1', 'The notifications API (issue 3)');
  });
}
