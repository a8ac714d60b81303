import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { accessTokenVerifier, createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { paymentsConfig, settlementRules } from './config.js';
import { startExpirySweep } from './payments/payment-expiry.js';
import { paymentRepository } from './payments/payment-repository.js';
import { startPspSweep } from './payments/psp-sweep.js';
import { refundRepository } from './refunds/refund-repository.js';
import { stripeAdapter } from './psp/stripe-adapter.js';
import { startReceiptRelay } from './receipts/receipt-relay.js';
import { receiptSenderFromConfig } from './receipts/receipt-sender.js';
import { settingsRepository } from './settings/settings-repository.js';
import { startSettlementSchedule } from './settlements/settlement-schedule.js';
import { startOutboxRelay } from './webhooks/outbox-relay.js';

const config = loadConfigOrExit('payments', paymentsConfig);
const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });
const stores = openStores(config, 'payments', logger);
const verifyAccessToken = accessTokenVerifier({ jwksUrl: config.ACCESS_TOKEN_JWKS_URL, issuer: config.ACCESS_TOKEN_ISSUER, audience: config.ACCESS_TOKEN_AUDIENCE });
if (!config.CITIZEN_ISSUER) logger.warn('the citizen login is not configured (CITIZEN_ISSUER, CITIZEN_ISSUER_INTERNAL_URL, PAY_LOGIN_CLIENT_ID, PAY_LOGIN_CLIENT_SECRET): payments above a ministry\'s login threshold cannot be taken');
if (!config.ENTERPRISE_ISSUER) logger.warn('the finance console\'s staff login is not configured (ENTERPRISE_ISSUER, ENTERPRISE_ISSUER_INTERNAL_URL, FINANCE_LOGIN_CLIENT_ID, FINANCE_LOGIN_CLIENT_SECRET): /finance answers 501');
const psp = stripeAdapter({ apiUrl: config.PSP_API_URL, secretKey: config.PSP_SECRET_KEY, timeoutMs: config.PSP_TIMEOUT_MS });
// Payments and refunds the PSP never answered, asked again after ten minutes.
const pspSweep = startPspSweep({ payments: paymentRepository(stores.knex, { publicUrl: config.PUBLIC_URL }), refunds: refundRepository(stores.knex), psp, logger });
const expirySweep = startExpirySweep(paymentRepository(stores.knex, { publicUrl: config.PUBLIC_URL }), (error) => logger.error({ err: error }, 'the payment expiry sweep failed; it runs again in a minute'));
// Every instance runs a relay: they share the outbox's rows without posting one twice.
const relay = startOutboxRelay({
  knex: stores.knex,
  logger,
  pollMs: config.WEBHOOK_POLL_MS,
  maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
  backoffMs: config.WEBHOOK_BACKOFF_MS,
  maxBackoffMs: config.WEBHOOK_MAX_BACKOFF_MS,
  timeoutMs: config.WEBHOOK_TIMEOUT_MS,
});
// And a receipt relay: citizens' receipts through the notifications service (skipped when NOTIFICATIONS_URL is unset).
// Receipts name the ministry as its payment page does (its settings' service name).
const settings = settingsRepository(stores.knex);
const receipts = startReceiptRelay({ knex: stores.knex, logger, sender: receiptSenderFromConfig(config), ministryName: async (organisationId) => (await settings.get(organisationId))?.serviceName });
// The PSP's settlements, pulled on a schedule (SETTLEMENT_PULL_EVERY_MINUTES; 0: only on demand, POST …/reconciliation/settlements/pull).
const settlementPulls =
  config.SETTLEMENT_PULL_EVERY_MINUTES > 0
    ? startSettlementSchedule({
        knex: stores.knex,
        psp,
        rules: settlementRules(config),
        pull: { overlapMinutes: config.SETTLEMENT_PULL_OVERLAP_MINUTES, lookbackDays: config.SETTLEMENT_PULL_LOOKBACK_DAYS },
        everyMinutes: config.SETTLEMENT_PULL_EVERY_MINUTES,
        logger,
      })
    : undefined;
await startService(createApp({ config, logger, ...stores, verifyAccessToken, psp }), config, logger, [expirySweep.stop, pspSweep.stop, relay.stop, receipts.stop, ...(settlementPulls ? [settlementPulls.stop] : []), stores.close]);
