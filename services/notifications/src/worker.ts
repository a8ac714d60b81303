// The sending workers: a process of its own (scaled apart from the API), shut down gracefully.
import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger } from '@tamkeen/http-kit';
import { Redis } from 'ioredis';
import { workerConfig } from './config.js';
import { smtpEmailProvider } from './delivery/email-provider.js';
import { openLanes } from './delivery/lanes.js';
import { requeueUnsent } from './delivery/recovery-sweep.js';
import { startWorkers } from './delivery/workers.js';
import { createDeliveryMetrics, serveDeliveryMetrics } from './delivery/worker-metrics.js';
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
const metricsServer = await serveDeliveryMetrics(metrics, config.METRICS_PORT, '0.0.0.0');
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

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the sends in hand');
    clearInterval(timer);
    const deadline = setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS);
    void (async () => {
      await workers.close();
      await webhooks.close();
      await statusChanges.close();
      await metricsServer.close();
      await lanes.close();
      email.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => undefined)));
      await stores.close();
      clearTimeout(deadline);
      logger.info('stopped');
      process.exit(0);
    })();
  });
}
