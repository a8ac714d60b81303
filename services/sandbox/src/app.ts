import { createMetrics, createServiceApp, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { SandboxConfig } from './config.js';
import { inboxRoutes } from './inbox.js';
import { MailStore } from './smtp/mail-store.js';
import { stripeApi } from './stripe/api.js';
import type { StripeState } from './stripe/state.js';
import { messagesApi } from './twilio/messages-api.js';
import { MessageStore } from './twilio/message-store.js';

export interface SandboxDeps {
  config: SandboxConfig;
  logger: Logger;
  /** What the SMS API received; the inbox shows it. */
  messages?: MessageStore;
  /** What the SMTP sink received (main starts the sink with the same store). */
  mails?: MailStore;
  /** The PSP's state (tests look inside). */
  psp?: StripeState;
  /** Milliseconds since the epoch, for the PSP's dates (tests move time). */
  clock?: () => number;
}

export function createApp({ config, logger, messages = new MessageStore(), mails = new MailStore(), psp, clock }: SandboxDeps): Express {
  return createServiceApp({ logger, readiness: {}, metrics: createMetrics('sandbox'), bodyLimit: config.BODY_LIMIT }, (router) => {
    messagesApi(router, {
      account: { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN },
      store: messages,
      logger,
      stepDelayMs: config.SMS_STEP_DELAY_MS,
    });
    inboxRoutes(router, messages, mails);
    stripeApi(router, {
      secretKey: config.STRIPE_SECRET_KEY,
      publishableKey: config.STRIPE_PUBLISHABLE_KEY,
      publicUrl: config.SANDBOX_PUBLIC_URL,
      availableAfterDays: config.STRIPE_AVAILABLE_AFTER_DAYS,
      payoutTime: config.STRIPE_PAYOUT_TIME,
      logger,
      state: psp,
      clock,
      webhooks: {
        endpoints: config.STRIPE_WEBHOOK_URL ? [{ url: config.STRIPE_WEBHOOK_URL, secret: config.STRIPE_WEBHOOK_SECRET }] : [],
        retryDelaysMs: config.STRIPE_WEBHOOK_RETRY_DELAYS_MS,
      },
    });
  });
}
