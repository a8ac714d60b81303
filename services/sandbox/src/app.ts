import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { SandboxConfig } from './config.js';

export interface SandboxDeps {
  config: SandboxConfig;
  logger: Logger;
}

export function createApp({ config, logger }: SandboxDeps): Express {
  return createServiceApp({ logger, readiness: {}, metrics: createMetrics('sandbox'), bodyLimit: config.BODY_LIMIT }, (router) => {
    notBuilt(router, '/v1', 'The Stripe-compatible PSP (issue 5)');
    notBuilt(router, '/2010-04-01', 'The Twilio-compatible SMS API (issue 3)');
    notBuilt(router, '/inbox', 'The sandbox inboxes (issues 3 and 5)');
  });
}
