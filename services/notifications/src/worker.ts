// The sending workers: a process of its own (scaled apart from the API), shut down gracefully.
import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { Redis } from 'ioredis';
import { workerConfig } from './config.js';
import { smtpEmailProvider } from './delivery/email-provider.js';
import { openLanes } from './delivery/lanes.js';
import { requeueUnsent } from './delivery/recovery-sweep.js';
import { startWorkers } from './delivery/workers.js';
import { createDeliveryMetrics, workerApp } from './delivery/worker-metrics.js';
import { openStatusChanges, startWebhookWorker } from './delivery/webhooks.js';
import { twilioSmsProvider } from './providers/twilio-sms.js';

const SWEEP_EVERY_MS = 30_000;
const SWEEP_GRACE_MS = 60_000;

const config = loadConfigOrExit('notifications-worker', workerConfig);
const logger = createLogger({ service: 'notifications-worker', level: config.LOG_LEVEL });
const stores = openStores(config, 'notifications-worker', logger);
const lanes = openLanes(stores.redis, { attempts: config.SEND_ATTEMPTS, backoffMs: config.SEND_BACKOFF_MS }, config.QUEUE_PREFIX);
// Message-IDs are <notification id>@<the sender's domain>.
const senderDomain = /@([^>\s]+)/.exec(config.EMAIL_FROM)?.[1] ?? 'tamkeen.local';
const email = smtpEmailProvider({ smtpUrl: config.SMTP_URL, from: config.EMAIL_FROM, domain: senderDomain });
const connections: Redis[] = [];
/** Workers block on Redis: their connections must wait, not fail, while it is away. */
function blockingConnection(): Redis {
  const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  connections.push(connection);
  return connection;
}
const metrics = createDeliveryMetrics();
const statusChanges = openStatusChanges(stores.redis, config.QUEUE_PREFIX);
const webhooks = startWebhookWorker({ connection: blockingConnection(), prefix: config.QUEUE_PREFIX, knex: stores.knex, logger });
const workers = startWorkers({
  metrics,
  statusChanges,
  knex: stores.knex,
  sms: twilioSmsProvider({ accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, baseUrl: config.TWILIO_API_URL, from: config.SMS_SENDER }),
  email,
  smsStatusCallback: config.SMS_STATUS_CALLBACK_URL,
  logger,
  prefix: config.QUEUE_PREFIX,
  concurrency: { priority: config.PRIORITY_CONCURRENCY, bulk: config.BULK_CONCURRENCY },
  connection: blockingConnection,
});

const sweep = async () => {
  try {
    const requeued = await requeueUnsent(stores.knex, lanes, { olderThanMs: SWEEP_GRACE_MS });
    if (requeued) logger.warn({ requeued }, 'queued again notifications that were accepted and not sent');
  } catch (error) {
    logger.warn({ err: error }, 'the recovery sweep failed; it will run again');
  }
};
const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
void sweep();
logger.info({ prefix: config.QUEUE_PREFIX }, 'sending workers started');

// /healthz, /readyz and /metrics on METRICS_PORT; on SIGTERM/SIGINT, the sends in hand finish
// first, then everything is closed in order (each within the shutdown timeout).
await startService(workerApp({ logger, stores, metrics }), { HOST: '0.0.0.0', PORT: config.METRICS_PORT, SHUTDOWN_TIMEOUT_MS: config.SHUTDOWN_TIMEOUT_MS }, logger, [
  async () => clearInterval(timer),
  workers.close,
  webhooks.close,
  statusChanges.close,
  lanes.close,
  async () => email.close(),
  () => Promise.all(connections.map((c) => c.quit().catch(() => undefined))),
  stores.close,
]);
