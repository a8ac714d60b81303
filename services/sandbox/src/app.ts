import { createMetrics, createServiceApp, notBuilt, type Logger } from '@tamkeen/http-kit';
import type { Express } from 'express';
import type { SandboxConfig } from './config.js';
import { inboxRoutes } from './inbox.js';
import { messagesApi } from './twilio/messages-api.js';
import { MessageStore } from './twilio/message-store.js';

export interface SandboxDeps {
  config: SandboxConfig;
  logger: Logger;
  /** What the SMS API received; the inbox shows it. */
  messages?: MessageStore;
}

export function createApp({ config, logger, messages = new MessageStore() }: SandboxDeps): Express {
  return createServiceApp({ logger, readiness: {}, metrics: createMetrics('sandbox'), bodyLimit: config.BODY_LIMIT }, (router) => {
    messagesApi(router, {
      account: { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN },
      store: messages,
      logger,
      stepDelayMs: config.SMS_STEP_DELAY_MS,
    });
    inboxRoutes(router, messages);
    notBuilt(router, '/v1', 'The Stripe-compatible PSP (issue 5)');
    notBuilt(router, '/inbox', 'The e-mail inbox (issue 3)');
  });
}
