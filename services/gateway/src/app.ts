import type { Agent } from 'node:http';
import type { Knex, Redis } from '@tamkeen/db';
import { storeChecks } from '@tamkeen/db';
import { createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { GatewayConfig } from './config.js';
import { proxyTo } from './proxy/proxy.js';
import { routingTable } from './proxy/routing-table.js';
import { upstreamReadiness } from './upstream-readiness.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
}

export interface GatewayApp extends Express {
  /** Keep-alive pools to the upstreams; destroyed on shutdown. */
  upstreamAgents: Agent[];
}

export function createApp({ config, logger, knex, redis }: GatewayDeps): GatewayApp {
  const routes = routingTable(config);
  const readiness = {
    ...storeChecks({ knex, redis }),
    ...Object.fromEntries(routes.map((r) => [r.upstream.name, upstreamReadiness(r.upstream, 900)])),
  };
  const agents: Agent[] = [];
  const app = createServiceApp({ logger, readiness, trustProxy: config.TRUST_PROXY_HOPS }, (router) => {
    for (const { prefixes, upstream } of routes) {
      const proxy = proxyTo({
        upstream,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
        trustedHops: config.TRUST_PROXY_HOPS,
        logger,
      });
      agents.push(proxy.agent);
      router.use(prefixes, proxy);
    }
  });
  return Object.assign(app, { upstreamAgents: agents });
}
