import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { IdentityConfig } from './config.js';

export interface IdentityDeps {
  config: IdentityConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export function createApp({ config, logger, knex, redis }: IdentityDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('identity'), bodyLimit: config.BODY_LIMIT }, (router) => {
    notBuilt(router, '/auth', 'Citizen and enterprise login (issue 4)');
  });
}
