import { accessTokenVariables, httpServiceVariables, httpUrl, port, positiveInt, storeVariables, url, z } from '@tamkeen/config';

/** What both the API and the sending workers need to agree on: the queues and how often to try. */
const deliveryVariables = {
  /** Keeps this deployment's queue keys apart in a shared Redis. */
  QUEUE_PREFIX: z.string().regex(/^[a-z0-9-]+$/, { message: 'must be lower-case letters, digits and dashes' }).default('tamkeen'),
  /** Tries per notification before it ends technical-failure (the first included). */
  SEND_ATTEMPTS: positiveInt(5),
  /** The first retry's delay; each next one doubles, with jitter. */
  SEND_BACKOFF_MS: positiveInt(2_000),
};

export const notificationsConfig = z.object({
  ...httpServiceVariables(4003),
  ...storeVariables(),
  ...accessTokenVariables(),
  ...deliveryVariables,
  /** Sends an organisation may make a minute (SMS and e-mail together), unless organisation_limits says otherwise. */
  RATE_LIMIT_PER_MINUTE: positiveInt(3_000),
  /** Verifies the SMS provider's delivery callbacks (X-Twilio-Signature). */
  TWILIO_AUTH_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }),
  /** The public address of the delivery-callback route, as the provider calls and signs it. */
  SMS_STATUS_CALLBACK_URL: httpUrl(),
});

export type NotificationsConfig = z.output<typeof notificationsConfig>;

/** The sending workers (`dist/worker.js`): the stores, the queues and the providers. */
export const workerConfig = z.object({
  LOG_LEVEL: httpServiceVariables(0).LOG_LEVEL,
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  ...storeVariables(),
  ...deliveryVariables,
  /** Twilio's API, or a compatible one (the sandbox in development). */
  TWILIO_API_URL: httpUrl().default('https://api.twilio.com'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, { message: 'must be AC followed by 32 hex digits' }),
  TWILIO_AUTH_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }),
  /** The sender id or number, or a Messaging Service SID (MG…). */
  SMS_SENDER: z.string().min(1),
  /** This service's public delivery-callback URL, given to the SMS provider with each message. */
  SMS_STATUS_CALLBACK_URL: httpUrl().optional(),
  SMTP_URL: url(['smtp', 'smtps']),
  EMAIL_FROM: z.string().min(3),
  /** Where the worker serves /metrics and /healthz (0: any free port). */
  METRICS_PORT: port(4013),
  PRIORITY_CONCURRENCY: positiveInt(20),
  BULK_CONCURRENCY: positiveInt(20),
});

export type WorkerConfig = z.output<typeof workerConfig>;
