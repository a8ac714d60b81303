// The platform's processes: how each is started and what it is told.

/** In start order: what others depend on comes first; the gateway last. */
export const services = [
  { name: 'registry', port: 4004, database: true },
  { name: 'sandbox', port: 4005, database: false },
  { name: 'notifications', port: 4003, database: true },
  // The sending workers: no port of their own; the notifications service migrates their database.
  { name: 'notifications-worker', dir: 'notifications', entry: 'worker.js', port: null, database: false },
  { name: 'identity', port: 4001, database: true },
  { name: 'payments', port: 4002, database: true },
  { name: 'gateway', port: 8080, database: true },
];

/** The service's folder under services/ and the file it starts from. */
export function entryOf(service) {
  return { dir: service.dir ?? service.name, entry: service.entry ?? 'main.js' };
}

export function serviceUrl(name) {
  const service = services.find((s) => s.name === name);
  return `http://127.0.0.1:${service.port}`;
}

/** The database URL of one service: the same server as `serverUrl`, database tamkeen_<service>. */
export function databaseUrlFor(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/tamkeen_${name}`;
  return url.toString();
}

export function environmentFor(service, { databaseUrl, redisUrl }) {
  const env = { ...process.env, REDIS_URL: redisUrl, HOST: process.env.HOST ?? '127.0.0.1' };
  if (service.port !== null) env.PORT = String(service.port);
  delete env.DATABASE_URL;
  if (service.database || service.dir) env.DATABASE_URL = databaseUrlFor(databaseUrl, service.dir ?? service.name);
  const publicUrl = process.env.PUBLIC_URL ?? 'http://localhost:8080';
  // Development wiring of notifications to the sandbox's Twilio account and SMTP sink (their defaults).
  if (service.name === 'notifications' || service.name === 'notifications-worker') {
    env.TWILIO_AUTH_TOKEN = 'sandbox-twilio-auth-token';
    env.SMS_STATUS_CALLBACK_URL = `${publicUrl}/notifications/v1/callbacks/twilio`;
  }
  if (service.name === 'notifications-worker') {
    env.TWILIO_API_URL = serviceUrl('sandbox');
    env.TWILIO_ACCOUNT_SID = 'AC00000000000000000000000000000000';
    env.SMS_SENDER = 'Tamkeen';
    env.SMTP_URL = 'smtp://127.0.0.1:2525';
    env.EMAIL_FROM = 'Tamkeen <no-reply@tamkeen.local>';
  }
  // Resource APIs verify the enterprise issuer's access tokens: keys fetched inside the platform,
  // issuer and audience as the public origin names them.
  if (service.name === 'notifications' || service.name === 'payments') {
    env.ACCESS_TOKEN_JWKS_URL = `${serviceUrl('identity')}/auth/enterprise/jwks`;
    env.ACCESS_TOKEN_ISSUER = `${publicUrl}/auth/enterprise`;
    env.ACCESS_TOKEN_AUDIENCE = `${publicUrl}/${service.name}/v1`;
  }
  if (service.name === 'identity') {
    // Development only: a fixed secret, so that logins survive a restart of npm start.
    env.COOKIE_KEYS = process.env.COOKIE_KEYS ?? 'development-cookie-key-not-for-production-0001';
    env.PUBLIC_URL = publicUrl;
  }
  // The register answers identity only, which proves itself with client assertions signed by a key
  // it publishes (identity's X-Road client keys).
  if (service.name === 'registry') {
    env.X_ROAD_MEMBERS = JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${serviceUrl('identity')}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]);
  }
  if (service.name === 'gateway') {
    env.HOST = process.env.GATEWAY_HOST ?? '0.0.0.0';
    env.IDENTITY_URL = serviceUrl('identity');
    env.PAYMENTS_URL = serviceUrl('payments');
    env.NOTIFICATIONS_URL = serviceUrl('notifications');
  }
  return env;
}
