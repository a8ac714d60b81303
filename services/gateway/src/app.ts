import type { Agent, RequestListener } from 'node:http';
import type { Knex, Redis } from '@tamkeen/db';
import { storeChecks } from '@tamkeen/db';
import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { GatewayConfig } from './config.js';
import { frontDoor } from './proxy/front-door.js';
import { proxyTo, type Proxy } from './proxy/proxy.js';
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
  /** What the server should listen with: proxied paths bypass Express, the rest is this app. */
  listener: RequestListener;
}

export function createApp({ config, logger, knex, redis }: GatewayDeps): GatewayApp {
  const routes = routingTable(config);
  const readiness = {
    ...storeChecks({ knex, redis }),
    ...Object.fromEntries(routes.map((r) => [r.upstream.name, upstreamReadiness(r.upstream, 900)])),
  };
  const agents: Agent[] = [];
  const proxies = new Map<string, Proxy>();
  const metrics = createMetrics('gateway');
  const app = createServiceApp({ logger, readiness, metrics, trustProxy: config.TRUST_PROXY_HOPS }, (router) => {
    for (const { prefixes, upstream } of routes) {
      const proxy = proxyTo({
        upstream,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
        trustedHops: config.TRUST_PROXY_HOPS,
        logger,
      });
      agents.push(proxy.agent);
      for (const prefix of prefixes) proxies.set(prefix, proxy);
      router.use(prefixes, proxy);
    }
  });
  return Object.assign(app, { upstreamAgents: agents, listener: frontDoor(app, proxies, logger, metrics) });
}
