import { loadConfig } from '@tamkeen/config';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { accessTokenVerifier, createLogger } from '@tamkeen/http-kit';
import { logCapture, startTestIssuer, type TestIssuer } from '@tamkeen/testing';
import type { Express } from 'express';
import { createApp } from './app.js';
import { paymentsConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { PaymentProvider } from './psp/payment-provider.js';

export interface TestPayments {
  app: Express;
  stores: TestStores;
  issuer: TestIssuer;
  logs: ReturnType<typeof logCapture>;
  /** The service's clock: tests move it forward. */
  clock: { now: Date };
  /** A bearer header for a client of `organisation` with `scope`. */
  bearer(scope: string, organisation?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The payments app on a fresh database, the real Redis, a stand-in token issuer and a clock of its
 * own; with `psp` (the Stripe adapter on the sandbox) it serves the hosted payment page too, and
 * `env` overrides variables (the sandbox's keys, PUBLIC_URL).
 */
export async function testPayments(label: string, { psp, env = {} }: { psp?: PaymentProvider; env?: Record<string, string> } = {}): Promise<TestPayments> {
  const stores = await openTestStores(label, migrations);
  const issuer = await startTestIssuer({ audience: 'http://localhost:8080/payments/v1' });
  const config = loadConfig('payments', paymentsConfig, {
    DATABASE_URL: stores.db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    ACCESS_TOKEN_JWKS_URL: issuer.jwksUrl,
    ACCESS_TOKEN_ISSUER: issuer.issuer,
    ACCESS_TOKEN_AUDIENCE: issuer.audience,
    PSP_SECRET_KEY: 'sk_test_payments_tests_000000',
    PSP_PUBLISHABLE_KEY: 'pk_test_payments_tests_000000',
    ...env,
  });
  const logs = logCapture();
  const clock = { now: new Date() };
  const verifyAccessToken = accessTokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.audience });
  const app = createApp({ config, logger: createLogger({ service: 'payments', destination: logs.destination }), knex: stores.knex, redis: stores.redis, verifyAccessToken, ...(psp ? { psp } : {}), now: () => clock.now });
  return {
    app,
    stores,
    issuer,
    logs,
    clock,
    async bearer(scope, organisation = 'moi') {
      return `Bearer ${await issuer.sign({ scope, organisation_id: organisation, client_id: `${organisation}-passports` })}`;
    },
    async close() {
      await issuer.close();
      await stores.close();
    },
  };
}
