import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { RegistryConfig } from './config.js';

export interface RegistryDeps {
  config: RegistryConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export function createApp({ config, logger, knex, redis }: RegistryDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('registry'), bodyLimit: config.BODY_LIMIT }, (router) => {
    notBuilt(router, '/r1', 'The citizen register API (issue 4)');
  });
}
