import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { SandboxConfig } from './config.js';
import { inboxRoutes } from './inbox.js';
import { MailStore } from './smtp/mail-store.js';
import { messagesApi } from './twilio/messages-api.js';
import { MessageStore } from './twilio/message-store.js';

export interface SandboxDeps {
  config: SandboxConfig;
  logger: Logger;
  /** What the SMS API received; the inbox shows it. */
  messages?: MessageStore;
  /** What the SMTP sink received (main starts the sink with the same store). */
  mails?: MailStore;
}

export function createApp({ config, logger, messages = new MessageStore(), mails = new MailStore() }: SandboxDeps): Express {
  return createServiceApp({ logger, readiness: {}, metrics: createMetrics('sandbox'), bodyLimit: config.BODY_LIMIT }, (router) => {
    messagesApi(router, {
      account: { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN },
      store: messages,
      logger,
      stepDelayMs: config.SMS_STEP_DELAY_MS,
    });
    inboxRoutes(router, messages, mails);
    notBuilt(router, '/v1', 'The Stripe-compatible PSP (issue 5)');
  });
}
