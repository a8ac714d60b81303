import { storeChecks, tokenBucket, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import express, { type Express, type Request } from 'express';
import type { RegistryConfig } from './config.js';
import { registerRepository } from './register/register-repository.js';
import { BASE, registerRoutes } from './register/register-routes.js';
import { memberAuthentication } from './x-road/member-authentication.js';

export interface RegistryDeps {
  config: RegistryConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export function createApp({ config, logger, knex, redis }: RegistryDeps): Express {
  const rawBodies = new WeakMap<Request, Buffer>();
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('registry') }, (router) => {
    // JSON bodies, kept as received too: X-Road-Request-Hash is computed over the bytes sent.
    router.use(BASE, express.json({ limit: config.BODY_LIMIT, verify: (req, _res, raw) => void rawBodies.set(req as Request, Buffer.from(raw)) }));
    registerRoutes(router, {
      register: registerRepository(knex),
      authenticate: memberAuthentication({ members: config.X_ROAD_MEMBERS, service: config.X_ROAD_SERVICE, redis, prefix: config.REDIS_PREFIX }),
      lookups: tokenBucket(redis, config.REDIS_PREFIX),
      lookupsPerMinute: config.LOOKUPS_PER_MINUTE,
      rawBodyOf: (req) => rawBodies.get(req),
    });
  });
}
