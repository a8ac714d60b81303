import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { PaymentsConfig } from './config.js';
import { paymentRepository } from './payments/payment-repository.js';
import { paymentRoutes } from './payments/payment-routes.js';
import type { PaymentProvider } from './psp/payment-provider.js';

export interface PaymentsDeps {
  config: PaymentsConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
  /** Verifies the enterprise issuer's access tokens for this API. */
  verifyAccessToken: AccessTokenVerifier;
  /** The PSP (the Stripe adapter; the hosted page will use it). */
  psp?: PaymentProvider;
  /** The clock (tests move it). */
  now?: () => Date;
}

export function createApp({ config, logger, knex, redis, verifyAccessToken, now }: PaymentsDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('payments'), bodyLimit: config.BODY_LIMIT }, (router) => {
    paymentRoutes(router, {
      payments: paymentRepository(knex),
      verify: verifyAccessToken,
      publicUrl: config.PUBLIC_URL,
      expiryMinutes: config.PAYMENT_EXPIRY_MINUTES,
      bodyLimit: config.BODY_LIMIT,
      ...(now ? { now } : {}),
    });
    notBuilt(router, '/payments/v1', 'Refunds, disputes and webhooks of the payments API (issue 5)');
    notBuilt(router, '/pay', 'The hosted payment page (issue 5)');
    notBuilt(router, '/finance', 'The finance console (issue 6)');
  });
}
