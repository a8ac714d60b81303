import { storeChecks, tokenBucket, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { IdentityConfig } from './config.js';
import type { JWK } from 'jose';
import type { IdentityProviders } from './identity-providers.js';
import { citizenAccounts } from './accounts/citizen-accounts.js';
import { clientAdminRoutes } from './admin-api/client-routes.js';
import { authenticators } from './authenticators/authenticators.js';
import { citizenEnrolmentRoutes } from './interaction/citizen-enrolment.js';
import { citizenLoginRoutes } from './interaction/citizen-login.js';
import { enterpriseLoginRoutes } from './interaction/enterprise-login.js';
import { enterpriseUsers } from './accounts/enterprise-users.js';
import { secretBox } from './keys/secret-box.js';
import { publicJwks } from './keys/signing-keys.js';
import type { CodeSender } from './one-time-codes/code-sender.js';
import { oneTimeCodes } from './one-time-codes/one-time-codes.js';
import { registryClient } from './registry/registry-client.js';

export interface IdentityDeps {
  config: IdentityConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
  providers: IdentityProviders;
  /** Identity's X-Road client keys (private); their public halves are published to the register. */
  xRoadKeys: JWK[];
  /** How one-time codes reach citizens (the notifications service). */
  codeSender: CodeSender;
}

export function createApp({ config, logger, knex, redis, providers, xRoadKeys, codeSender }: IdentityDeps): Express {
  const xRoadJwks = publicJwks(xRoadKeys);
  const registry = registryClient({ baseUrl: config.REGISTRY_URL, client: config.X_ROAD_CLIENT, key: xRoadKeys[0]! });
  // No bodyLimit here: oidc-provider parses its own request bodies.
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('identity') }, (router) => {
    const citizenPages = {
      provider: providers.citizen,
      codes: oneTimeCodes(knex, `one-time-codes:${config.COOKIE_KEYS[0]}`),
      codeSender,
      authenticators: authenticators(knex, secretBox(config.AUTHENTICATOR_KEYS)),
      redis,
      accounts: citizenAccounts(knex),
      registry,
      redisPrefix: config.REDIS_PREFIX,
      attempts: tokenBucket(redis, config.REDIS_PREFIX),
      secret: config.COOKIE_KEYS[0]!,
      triesPerMinute: { perAccount: config.LOGIN_TRIES_PER_ACCOUNT_PER_MINUTE, perAddress: config.LOGIN_TRIES_PER_ADDRESS_PER_MINUTE },
      logger,
    };
    citizenLoginRoutes(router, citizenPages);
    citizenEnrolmentRoutes(router, citizenPages);
    enterpriseLoginRoutes(router, { ...citizenPages, provider: providers.enterprise, users: enterpriseUsers(knex) });
    clientAdminRoutes(router, { knex, publicUrl: config.PUBLIC_URL, providers, bodyLimit: config.BODY_LIMIT });
    router.use('/auth/citizen', providers.citizen.callback());
    router.use('/auth/enterprise', providers.enterprise.callback());
    // Inside the platform only (the gateway does not route /internal): the keys the register
    // verifies identity's client assertions with.
    router.get('/internal/x-road/jwks', (_req, res) => {
      res.json(xRoadJwks);
    });
  });
}
