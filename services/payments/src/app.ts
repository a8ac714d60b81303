import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, notBuilt, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { PaymentsConfig } from './config.js';
import { ledgerRoutes } from './ledger/ledger-routes.js';
import { paymentRepository } from './payments/payment-repository.js';
import { paymentRoutes } from './payments/payment-routes.js';
import { payRoutes } from './pay/pay-routes.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';
import type { PaymentProvider } from './psp/payment-provider.js';

export interface PaymentsDeps {
  config: PaymentsConfig;
  logger: Logger;
  knex: Knex;
  redis: Redis;
  /** Verifies the enterprise issuer's access tokens for this API. */
  verifyAccessToken: AccessTokenVerifier;
  /** The PSP (the Stripe adapter): the hosted payment page is served only with one. */
  psp?: PaymentProvider;
  /** The clock (tests move it). */
  now?: () => Date;
}

export function createApp({ config, logger, knex, redis, verifyAccessToken, psp, now }: PaymentsDeps): Express {
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('payments'), bodyLimit: config.BODY_LIMIT }, (router) => {
    paymentRoutes(router, {
      payments: paymentRepository(knex, { publicUrl: config.PUBLIC_URL }),
      verify: verifyAccessToken,
      publicUrl: config.PUBLIC_URL,
      expiryMinutes: config.PAYMENT_EXPIRY_MINUTES,
      bodyLimit: config.BODY_LIMIT,
      ...(now ? { now } : {}),
    });
    ledgerRoutes(router, { knex, verify: verifyAccessToken });
    webhookRoutes(router, { knex, verify: verifyAccessToken });
    notBuilt(router, '/payments/v1', 'Refunds and disputes of the payments API (issue 5)');
    if (psp) {
      payRoutes(router, {
        payments: paymentRepository(knex, { publicUrl: config.PUBLIC_URL }),
        psp,
        logger,
        publicUrl: config.PUBLIC_URL,
        pspBrowserUrl: config.PSP_BROWSER_URL ?? config.PSP_API_URL,
        publishableKey: config.PSP_PUBLISHABLE_KEY,
        pspSecretKey: config.PSP_SECRET_KEY,
        ...(now ? { now } : {}),
      });
    } else {
      notBuilt(router, '/pay', 'The hosted payment page (needs a PSP)');
    }
    notBuilt(router, '/finance', 'The finance console (issue 6)');
  });
}
