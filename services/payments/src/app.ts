import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { PaymentsConfig } from './config.js';

export interface PaymentsDeps {
  config: PaymentsConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export function createApp({ config, logger, knex, redis }: PaymentsDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('payments'), bodyLimit: config.BODY_LIMIT }, (router) => {
    notBuilt(router, '/payments/v1', 'The payments API (issue 5)');
    notBuilt(router, '/pay', 'The hosted payment page (issue 5)');
    notBuilt(router, '/finance', 'The finance console (issue 6)');
  });
}
