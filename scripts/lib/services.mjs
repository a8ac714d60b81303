// The platform's processes: how each is started and what it is told.

/** In start order: what others depend on comes first; the gateway last. */
export const services = [
  { name: 'registry', port: 4004, database: true },
  { name: 'sandbox', port: 4005, database: false },
  { name: 'notifications', port: 4003, database: true },
  // The sending workers: no port of their own; the notifications service migrates their database.
  { name: 'notifications-worker', dir: 'notifications', entry: 'worker.js', port: null, database: false },
  // A larger young generation (V8 semi-space 32 MiB, twice the default): fewer scavenges of the
  // many short-lived objects of each login and proxied request. bench/identity measured a tenth
  // less CPU per login with 32 MiB. deploy/k8s says the same in NODE_OPTIONS.
  { name: 'identity', port: 4001, database: true, nodeOptions: '--max-semi-space-size=32' },
  { name: 'payments', port: 4002, database: true },
  { name: 'gateway', port: 8080, database: true, nodeOptions: '--max-semi-space-size=32' },
];

/** The service's folder under services/ and the file it starts from. */
export function entryOf(service) {
  return { dir: service.dir ?? service.name, entry: service.entry ?? 'main.js' };
}

/** The services' ports under npm start; an end-to-end run gives its own (`ports`). */
const defaultPorts = Object.fromEntries(services.filter((s) => s.port !== null).map((s) => [s.name, s.port]));

/**
 * What a service is told. An end-to-end run passes its own `ports` (every service's, plus
 * `smtp` and `worker-metrics`), `databaseName` and `publicUrl`, so that it runs beside npm start.
 */
/** The signing secret of the sandbox PSP's webhook endpoint (development only): the sandbox signs, payments verifies. */
const PSP_WEBHOOK_SECRET = 'whsec_sandbox_0000000000000000';

// The platform's own clients (development only): identity registers them at start-up with these
// secrets (PLATFORM_CLIENTS), and payments is given the same ones. In production both come from
// the secret store (deploy/k8s).
/** payments' machine client of the enterprise issuer: receipts through the notifications API. */
const PAYMENTS_CLIENT_SECRET = 'development-payments-client-secret-not-for-production';
/** The payment page's relying party of the citizen issuer: a citizen's login above a ministry's threshold. */
const PAY_LOGIN_CLIENT_SECRET = 'development-pay-login-client-secret-not-for-production';
/** The finance console's relying party of the enterprise issuer: the platform's finance officers' login. */
const FINANCE_LOGIN_CLIENT_SECRET = 'development-finance-login-client-secret-not-for-production';

/** The treasury's accounts of the development platform (made-up IBANs; production sets TREASURY_ACCOUNTS to the real ones). */
export const DEVELOPMENT_TREASURY_ACCOUNTS = [
  { account: 'PS92PALS000000000400123456701', currency: 'ILS', name: 'Treasury ILS (development)' },
  { account: 'PS44PALS000000000400123456702', currency: 'USD', name: 'Treasury USD (development)' },
  { account: 'PS17PALS000000000400123456703', currency: 'JOD', name: 'Treasury JOD (development)' },
];

/** PLATFORM_CLIENTS for identity: what payments' three clients are registered as. */
function platformClients(publicUrl) {
  return JSON.stringify([
    { kind: 'machine', client_id: 'tamkeen-payments', client_secret: PAYMENTS_CLIENT_SECRET, name: 'Tamkeen payments', scope: 'notifications:send notifications:read' },
    { kind: 'relying_party', client_id: 'tamkeen-pay', client_secret: PAY_LOGIN_CLIENT_SECRET, name: 'Tamkeen payment page', issuer: 'citizen', redirect_uris: [`${publicUrl}/pay/login/callback`] },
    { kind: 'relying_party', client_id: 'tamkeen-finance', client_secret: FINANCE_LOGIN_CLIENT_SECRET, name: 'Tamkeen finance console', issuer: 'enterprise', redirect_uris: [`${publicUrl}/finance/login/callback`] },
  ]);
}

export function environmentFor(service, { databaseUrl, redisUrl, ports = defaultPorts, databaseName = (name) => `tamkeen_${name}`, publicUrl = process.env.PUBLIC_URL ?? 'http://localhost:8080', base = process.env }) {
  const env = { ...base, REDIS_URL: redisUrl, HOST: base.HOST ?? '127.0.0.1' };
  const nodeOptions = [base.NODE_OPTIONS, service.nodeOptions].filter(Boolean).join(' ');
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  const serviceUrl = (name) => `http://127.0.0.1:${ports[name]}`;
  if (service.port !== null) env.PORT = String(ports[service.name]);
  delete env.DATABASE_URL;
  if (service.database || service.dir) {
    const url = new URL(databaseUrl);
    url.pathname = `/${databaseName(service.dir ?? service.name)}`;
    env.DATABASE_URL = url.toString();
  }
  if (service.name === 'sandbox' && ports.smtp) env.SMTP_PORT = String(ports.smtp);
  // Development wiring of the sandbox PSP's webhooks to payments (the route payments verifies with the same secret).
  if (service.name === 'sandbox') {
    env.STRIPE_WEBHOOK_URL = `${serviceUrl('payments')}/payments/psp/webhooks/stripe`;
    env.STRIPE_WEBHOOK_SECRET = PSP_WEBHOOK_SECRET;
  }
  // Development wiring of notifications to the sandbox's Twilio account and SMTP sink (their defaults).
  if (service.name === 'notifications' || service.name === 'notifications-worker') {
    env.TWILIO_AUTH_TOKEN = 'sandbox-twilio-auth-token';
    env.SMS_STATUS_CALLBACK_URL = `${publicUrl}/notifications/v1/callbacks/twilio`;
  }
  if (service.name === 'notifications-worker') {
    env.TWILIO_API_URL = serviceUrl('sandbox');
    env.TWILIO_ACCOUNT_SID = 'AC00000000000000000000000000000000';
    env.SMS_SENDER = 'Tamkeen';
    env.SMTP_URL = `smtp://127.0.0.1:${ports.smtp ?? 2525}`;
    if (ports['worker-metrics']) env.METRICS_PORT = String(ports['worker-metrics']);
    env.EMAIL_FROM = 'Tamkeen <no-reply@tamkeen.local>';
  }
  // Resource APIs verify the enterprise issuer's access tokens: keys fetched inside the platform,
  // issuer and audience as the public origin names them.
  if (service.name === 'notifications' || service.name === 'payments') {
    env.ACCESS_TOKEN_JWKS_URL = `${serviceUrl('identity')}/auth/enterprise/jwks`;
    env.ACCESS_TOKEN_ISSUER = `${publicUrl}/auth/enterprise`;
    env.ACCESS_TOKEN_AUDIENCE = `${publicUrl}/${service.name}/v1`;
  }
  if (service.name === 'payments') {
    env.PUBLIC_URL = publicUrl;
    // Development wiring of payments to the sandbox's Stripe-compatible PSP and its default test keys.
    env.PSP_API_URL = serviceUrl('sandbox');
    env.PSP_SECRET_KEY = 'sk_test_sandbox_0000000000000000';
    env.PSP_PUBLISHABLE_KEY = 'pk_test_sandbox_0000000000000000';
    env.PSP_WEBHOOK_SECRET = PSP_WEBHOOK_SECRET;
    // Receipts: a token from identity's enterprise issuer (inside the platform) for the notifications API.
    env.NOTIFICATIONS_URL = serviceUrl('notifications');
    env.NOTIFICATIONS_AUDIENCE = `${publicUrl}/notifications/v1`;
    env.PLATFORM_TOKEN_URL = `${serviceUrl('identity')}/auth/enterprise/token`;
    env.PLATFORM_CLIENT_ID = 'tamkeen-payments';
    env.PLATFORM_CLIENT_SECRET = PAYMENTS_CLIENT_SECRET;
    // The citizen's login on the payment page: the issuer as tokens name it (public), its token
    // endpoint and JWKS reached inside the platform.
    env.CITIZEN_ISSUER = `${publicUrl}/auth/citizen`;
    env.CITIZEN_ISSUER_INTERNAL_URL = `${serviceUrl('identity')}/auth/citizen`;
    env.PAY_LOGIN_CLIENT_ID = 'tamkeen-pay';
    env.PAY_LOGIN_CLIENT_SECRET = PAY_LOGIN_CLIENT_SECRET;
    // The finance console's staff login (/finance), the same way at the enterprise issuer.
    env.ENTERPRISE_ISSUER = `${publicUrl}/auth/enterprise`;
    env.ENTERPRISE_ISSUER_INTERNAL_URL = `${serviceUrl('identity')}/auth/enterprise`;
    env.FINANCE_LOGIN_CLIENT_ID = 'tamkeen-finance';
    env.FINANCE_LOGIN_CLIENT_SECRET = FINANCE_LOGIN_CLIENT_SECRET;
    // The treasury's bank accounts whose statements finance officers upload (made up for development).
    env.TREASURY_ACCOUNTS = base.TREASURY_ACCOUNTS ?? JSON.stringify(DEVELOPMENT_TREASURY_ACCOUNTS);
  }
  if (service.name === 'identity') {
    // Development only: a fixed secret, so that logins survive a restart of npm start.
    env.COOKIE_KEYS = base.COOKIE_KEYS ?? 'development-cookie-key-not-for-production-0001';
    env.AUTHENTICATOR_KEYS = base.AUTHENTICATOR_KEYS ?? 'development-authenticator-key-not-for-production-01';
    env.PUBLIC_URL = publicUrl;
    env.REGISTRY_URL = serviceUrl('registry');
    env.NOTIFICATIONS_URL = serviceUrl('notifications');
    env.PLATFORM_CLIENTS = platformClients(publicUrl);
  }
  // The register answers identity only, which proves itself with client assertions signed by a key
  // it publishes (identity's X-Road client keys).
  if (service.name === 'registry') {
    env.X_ROAD_MEMBERS = JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${serviceUrl('identity')}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]);
  }
  if (service.name === 'gateway') {
    env.HOST = base.GATEWAY_HOST ?? '0.0.0.0';
    env.IDENTITY_URL = serviceUrl('identity');
    env.PAYMENTS_URL = serviceUrl('payments');
    env.NOTIFICATIONS_URL = serviceUrl('notifications');
  }
  return env;
}
