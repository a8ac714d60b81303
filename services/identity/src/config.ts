import { httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';
import { platformClientsVariable } from './clients/platform-client-config.js';

/** Comma-separated secrets of at least 32 characters, newest first (rotate by prepending). */
const secretKeys = () =>
  z
    .string({ message: 'is required: comma-separated secrets of at least 32 characters' })
    .transform((value) => value.split(',').map((key) => key.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(32, { message: 'each key must be at least 32 characters' })).min(1, { message: 'needs at least one key' }));

export const identityConfig = z.object({
  ...httpServiceVariables(4001),
  ...storeVariables(),
  /** The platform's public origin (the gateway): issuers are <PUBLIC_URL>/auth/citizen and /auth/enterprise. */
  PUBLIC_URL: httpUrl().default('http://localhost:8080'),
  /** Secrets that sign the login cookies, comma-separated, each at least 32 characters; the first signs. */
  COOKIE_KEYS: secretKeys(),
  /** Keys that seal authenticator-app secrets in the database, comma-separated, each at least 32 characters; the first seals, all open. */
  AUTHENTICATOR_KEYS: secretKeys(),
  /** The citizen register (services/registry), asked at enrolment and at every citizen login. */
  REGISTRY_URL: httpUrl().default('http://127.0.0.1:4004'),
  /** The notifications service, which sends the one-time codes. */
  NOTIFICATIONS_URL: httpUrl().default('http://127.0.0.1:4003'),
  /** Identity's own X-Road client identifier, as the register knows it. */
  X_ROAD_CLIENT: z.string().min(1).default('PS/GOV/MOPAD/identity'),
  /** Keeps this deployment's keys (throttles, logins in progress, enrolments) apart in a shared Redis. */
  REDIS_PREFIX: z.string().min(1).default('tamkeen-identity'),
  /** Password tries per account per minute, and per client address (many citizens share an address behind a NAT). */
  LOGIN_TRIES_PER_ACCOUNT_PER_MINUTE: positiveInt(10),
  LOGIN_TRIES_PER_ADDRESS_PER_MINUTE: positiveInt(60),
  /** How long machine clients' access tokens live, in seconds. */
  ACCESS_TOKEN_TTL_S: positiveInt(600),
  /**
   * The platform's own clients (JSON, see clients/platform-client-config.ts), ensured at start-up
   * with the ids and secrets given here, in the organisation `tamkeen`: payments' machine client,
   * the payment page's relying party. Holds secrets: from the secret store in production.
   */
  PLATFORM_CLIENTS: platformClientsVariable(),
});

export type IdentityConfig = z.output<typeof identityConfig>;
