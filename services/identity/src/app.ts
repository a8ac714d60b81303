import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { IdentityConfig } from './config.js';
import type { IdentityProviders } from './identity-providers.js';

export interface IdentityDeps {
  config: IdentityConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
  providers: IdentityProviders;
}

export function createApp({ logger, knex, redis, providers }: IdentityDeps): Express {
  // No bodyLimit here: oidc-provider parses its own request bodies.
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('identity') }, (router) => {
    router.use('/auth/citizen', providers.citizen.callback());
    router.use('/auth/enterprise', providers.enterprise.callback());
  });
}
