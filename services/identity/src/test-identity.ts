import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@tamkeen/config';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import type { Express } from 'express';
import type { JWK } from 'jose';
import { createApp } from './app.js';
import { identityConfig, type IdentityConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import { identityProviders, xRoadKeys, type IdentityProviders } from './identity-providers.js';
import type { CodeSender } from './one-time-codes/code-sender.js';
import { startRegistry } from './test-registry.js';

export interface SentCode {
  channel: 'sms' | 'email';
  /** Where it went: a phone number (SMS) or an e-mail address. */
  phoneNumber?: string;
  emailAddress?: string;
  code: string;
  language: 'ar' | 'en';
}

export interface TestIdentity {
  /** Where it listens, which is also its public origin (issuers at <url>/auth/...). */
  url: string;
  app: Express;
  stores: TestStores;
  config: IdentityConfig;
  providers: IdentityProviders;
  /** The one-time codes sent, oldest first. */
  sentCodes: SentCode[];
  /** Identity's X-Road signing key (the newest). */
  xRoadKey: JWK;
  logs: ReturnType<typeof logCapture>;
  close(): Promise<void>;
}

/**
 * The identity service on a database of its own, listening on a free port that is its public
 * origin; with `withRegistry`, the real register beside it (else the register is unreachable).
 */
export async function testIdentity(label: string, { withRegistry = false } = {}): Promise<TestIdentity> {
  const stores = await openTestStores(label, migrations);
  // The server listens first: its address is the issuers' public origin, which the app is built with.
  const served: { app?: Express } = {};
  const server: Server = createServer((req, res) => served.app!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The real register (its build), answering this identity's X-Road key.
  const registry = withRegistry ? await startRegistry({ client: 'PS/GOV/MOPAD/identity', jwksUri: `${url}/internal/x-road/jwks` }) : undefined;
  const config = loadConfig('identity', identityConfig, {
    DATABASE_URL: stores.db.url,
    ...(registry ? { REGISTRY_URL: registry.url } : { REGISTRY_URL: 'http://127.0.0.1:1' }),
    REDIS_URL: 'redis://127.0.0.1:6379',
    PUBLIC_URL: url,
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdef0123456789',
    AUTHENTICATOR_KEYS: 'test-authenticator-key-0123456789abcdef0123',
    // Each test file's throttles and logins in progress apart from the others' in the shared Redis.
    REDIS_PREFIX: `test-identity-${process.pid}-${label.replace(/[^a-z0-9]+/gi, '-')}`,
  });
  const providers = await identityProviders(config, stores.knex);
  const logs = logCapture();
  const keys = await xRoadKeys(stores.knex);
  // Codes are handed to a recorder, as the notifications service would take them.
  const sentCodes: SentCode[] = [];
  const codeSender: CodeSender = {
    sendSms: async (phoneNumber, code, language) => void sentCodes.push({ channel: 'sms', phoneNumber, code, language }),
    sendEmail: async (emailAddress, code, language) => void sentCodes.push({ channel: 'email', emailAddress, code, language }),
  };
  const app = createApp({ config, logger: createLogger({ service: 'identity', destination: logs.destination }), ...stores, providers, xRoadKeys: keys, codeSender });
  served.app = app;
  return {
    url,
    app,
    stores,
    config,
    providers,
    xRoadKey: keys[0]!,
    sentCodes,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry?.stop();
      const keys = await stores.redis.keys(`${config.REDIS_PREFIX}:*`);
      if (keys.length > 0) await stores.redis.del(...keys);
      await stores.close();
    },
  };
}
