import { storeChecks, type Knex, type Redis } from '@tamkeen/db';
import { createMetrics, createServiceApp, formBody, jsonBody, notBuilt, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import { settlementRules, type PaymentsConfig } from './config.js';
import { disputeRepository } from './disputes/dispute-repository.js';
import { disputeRoutes } from './disputes/dispute-routes.js';
import { ledgerRoutes } from './ledger/ledger-routes.js';
import { statementRoutes } from './statements/statement-routes.js';
import { exceptionRoutes } from './reconciliation/exception-routes.js';
import { financeLoginFromConfig } from './finance/finance-login.js';
import { statementUploads } from './statements/statement-upload.js';
import { financeRoutes } from './finance/finance-routes.js';
import { receivedAtBank, reportCatalogue } from './reconciliation/report-catalogue.js';
import { reportRoutes } from './reconciliation/report-routes.js';
import { paymentRepository } from './payments/payment-repository.js';
import { paymentRoutes } from './payments/payment-routes.js';
import { payRoutes } from './pay/pay-routes.js';
import { payLoginFromConfig } from './citizen-login/pay-login.js';
import { settingsRepository } from './settings/settings-repository.js';
import { settingsRoutes } from './settings/settings-routes.js';
import { refundRepository } from './refunds/refund-repository.js';
import { refundRoutes } from './refunds/refund-routes.js';
import { settlementRoutes } from './settlements/settlement-routes.js';
import { webhookRoutes } from './webhooks/webhook-routes.js';
import type { PaymentProvider } from './psp/payment-provider.js';
import { pspWebhookRoutes } from './psp/psp-webhook-routes.js';

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
  // Bodies are parsed below rather than by createServiceApp: the PSP's webhooks are verified on their raw bytes, so their route comes before the parsers.
  return createServiceApp({ logger, readiness: storeChecks({ knex, redis }), metrics: createMetrics('payments') }, (router) => {
    if (psp) pspWebhookRoutes(router, { knex, payments: paymentRepository(knex, { publicUrl: config.PUBLIC_URL }), disputes: disputeRepository(knex), psp, logger, secret: config.PSP_WEBHOOK_SECRET, bodyLimit: config.BODY_LIMIT, ...(now ? { now } : {}) });
    router.use(jsonBody(config.BODY_LIMIT), formBody(config.BODY_LIMIT));
    paymentRoutes(router, {
      payments: paymentRepository(knex, { publicUrl: config.PUBLIC_URL }),
      verify: verifyAccessToken,
      publicUrl: config.PUBLIC_URL,
      expiryMinutes: config.PAYMENT_EXPIRY_MINUTES,
      bodyLimit: config.BODY_LIMIT,
      ...(now ? { now } : {}),
      refundTotals: refundRepository(knex).totals,
    });
    refundRoutes(router, { refunds: refundRepository(knex), verify: verifyAccessToken, logger, bodyLimit: config.BODY_LIMIT, ...(psp ? { psp } : {}) });
    ledgerRoutes(router, { knex, verify: verifyAccessToken, ...(now ? { now } : {}) });
    exceptionRoutes(router, { knex, verify: verifyAccessToken, ...(now ? { now } : {}) });
    reportRoutes(router, { knex, verify: verifyAccessToken, receivedAtBank });
    settlementRoutes(router, {
      knex,
      verify: verifyAccessToken,
      logger,
      psp,
      rules: settlementRules(config),
      pull: { overlapMinutes: config.SETTLEMENT_PULL_OVERLAP_MINUTES, lookbackDays: config.SETTLEMENT_PULL_LOOKBACK_DAYS },
      reportMaxBytes: config.SETTLEMENT_REPORT_MAX_BYTES,
      ...(now ? { now } : {}),
    });
    webhookRoutes(router, { knex, verify: verifyAccessToken });
    settingsRoutes(router, { settings: settingsRepository(knex), verify: verifyAccessToken });
    disputeRoutes(router, { disputes: disputeRepository(knex), verify: verifyAccessToken, logger, bodyLimit: config.BODY_LIMIT, psp });
    statementRoutes(router, { knex, verify: verifyAccessToken, accounts: config.TREASURY_ACCOUNTS, rules: config.BANK_MATCHING_RULES, maxBytes: config.STATEMENT_MAX_BYTES });
    notBuilt(router, '/payments/v1', 'Payouts of the payments API (issue 5)');
    if (psp) {
      payRoutes(router, {
        payments: paymentRepository(knex, { publicUrl: config.PUBLIC_URL }),
        psp,
        logger,
        publicUrl: config.PUBLIC_URL,
        pspBrowserUrl: config.PSP_BROWSER_URL ?? config.PSP_API_URL,
        publishableKey: config.PSP_PUBLISHABLE_KEY,
        pspSecretKey: config.PSP_SECRET_KEY,
        settings: settingsRepository(knex),
        login: payLoginFromConfig(config, redis),
        ...(now ? { now } : {}),
      });
    } else {
      notBuilt(router, '/pay', 'The hosted payment page (needs a PSP)');
    }
    // The finance console (/finance): the platform's finance officers, logged in at the enterprise issuer.
    const financeLogin = financeLoginFromConfig(config, redis);
    if (financeLogin) {
      financeRoutes(router, {
        knex,
        redis,
        logger,
        login: financeLogin,
        publicUrl: config.PUBLIC_URL,
        keyPrefix: config.FINANCE_REDIS_PREFIX,
        sessionIdleMinutes: config.FINANCE_SESSION_IDLE_MINUTES,
        settings: settingsRepository(knex),
        seams: { reports: reportCatalogue(knex), statements: statementUploads(knex, { accounts: config.TREASURY_ACCOUNTS, rules: config.BANK_MATCHING_RULES, maxBytes: config.STATEMENT_MAX_BYTES }) },
        statementMaxBytes: config.STATEMENT_MAX_BYTES,
        ...(now ? { now } : {}),
      });
    } else {
      notBuilt(router, '/finance', 'The finance console without its staff login (ENTERPRISE_ISSUER, ENTERPRISE_ISSUER_INTERNAL_URL, FINANCE_LOGIN_CLIENT_ID, FINANCE_LOGIN_CLIENT_SECRET)');
    }
  });
}
