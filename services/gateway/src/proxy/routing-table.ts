import type { GatewayConfig } from '../config.js';

export interface Upstream {
  name: 'identity' | 'payments' | 'notifications';
  url: string;
}

export interface Route {
  /** Public path prefixes, matched on whole segments (`/pay` does not match `/payments`). */
  prefixes: string[];
  upstream: Upstream;
}

/**
 * What the public origin exposes. The registry and the sandbox are deliberately absent: the
 * registry is reached only by identity, the sandbox only by services in development and tests.
 */
export function routingTable(config: Pick<GatewayConfig, 'IDENTITY_URL' | 'PAYMENTS_URL' | 'NOTIFICATIONS_URL'>): Route[] {
  return [
    // /identity: the organisations' admin API for their OIDC and machine clients (/identity/v1).
    { prefixes: ['/auth', '/identity'], upstream: { name: 'identity', url: config.IDENTITY_URL } },
    { prefixes: ['/payments', '/pay', '/finance'], upstream: { name: 'payments', url: config.PAYMENTS_URL } },
    { prefixes: ['/notifications'], upstream: { name: 'notifications', url: config.NOTIFICATIONS_URL } },
  ];
}
