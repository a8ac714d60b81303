import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { closeRedis, createRedis } from '@tamkeen/db';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { freePort, runBuiltFile, startBuiltService, type BuiltService } from '@tamkeen/testing';

/** Identity and the register, from their builds, on databases of their own (startIdentity). */
export interface RunningIdentity {
  /** Identity's public origin (`http://localhost:<port>`): the issuers are <publicUrl>/auth/citizen and /auth/enterprise. */
  publicUrl: string;
  /** Identity's origin inside the "platform" (`http://127.0.0.1:<port>`): what *_ISSUER_INTERNAL_URL names. */
  internalUrl: string;
  /** Runs identity's operator command (admin.js) and parses its JSON answer. */
  admin(...args: string[]): Promise<Record<string, unknown>>;
  /** The last one-time code identity sent by SMS to `phoneNumber`. */
  lastCode(phoneNumber: string): string | undefined;
  stop(): Promise<void>;
}

export interface RunningCitizenIssuer {
  /** The citizen issuer's name, as browsers and its ID tokens know it (identity's PUBLIC_URL + /auth/citizen). */
  issuer: string;
  /** Identity's origin inside the "platform": what CITIZEN_ISSUER_INTERNAL_URL names. */
  internalUrl: string;
  /** The payment page's relying party, registered for `redirectUri`. */
  clientId: string;
  clientSecret: string;
  /** Gives a citizen of the register an account (ID number, password, phone), as an operator does; answers their `sub`. */
  addCitizen(nationalId: string, password: string, phoneNumber: string): Promise<string>;
  /** The last one-time code identity sent by SMS to `phoneNumber`. */
  lastCode(phoneNumber: string): string | undefined;
  stop(): Promise<void>;
}

const dist = (service: string, file: string) => fileURLToPath(new URL(`../../../${service}/dist/${file}`, import.meta.url));

/**
 * Stands in for the notifications service where identity sends its one-time codes: the codes are
 * kept (as identity's own tests keep them with a test code sender), nothing is sent.
 */
async function codeRecorder(): Promise<{ url: string; codes: Map<string, string>; close(): Promise<void> }> {
  const codes = new Map<string, string>();
  const bodyOf = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = req.method === 'POST' ? await bodyOf(req) : {};
      const answer = (status: number, json: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (req.url === '/notifications/v1/templates' && req.method === 'GET') return answer(200, { templates: [] });
      if (req.url === '/notifications/v1/templates' && req.method === 'POST') return answer(201, { id: String(body.name) });
      if (req.url === '/notifications/v1/sms' && req.method === 'POST') {
        codes.set(String(body.phone_number), String((body.personalisation as { code?: string } | undefined)?.code));
        return answer(201, { id: 'recorded', status: 'created' });
      }
      answer(404, {});
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, codes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The real identity service and the register (services/registry), each from its build on a
 * database of its own, as the e2e platform starts them, with the platform's organisation
 * `tamkeen` (a ministry: its relying parties are first party, no consent page); `env` adds to its
 * environment (PLATFORM_CLIENTS...). Identity's public
 * origin is `http://localhost:<port>` and payments reaches it at `http://127.0.0.1:<port>`: the
 * same server under two names, as the gateway and the internal address are under npm start, so
 * the public/internal split is exercised.
 */
export async function startIdentity({ env = {} }: { env?: Record<string, string> } = {}): Promise<RunningIdentity> {
  const started: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of started.reverse()) await step();
  };
  try {
    const recorder = await codeRecorder();
    started.push(recorder.close);
    const port = await freePort();
    const internalUrl = `http://127.0.0.1:${port}`;
    const publicUrl = `http://localhost:${port}`;
    const base = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };

    const registryDb: TestDatabase = await createTestDatabase('payments login registry');
    started.push(registryDb.drop);
    const registryEnv = { ...base, DATABASE_URL: registryDb.url, REGISTRY_SEED_CITIZENS: '0' };
    await runBuiltFile(dist('registry', 'migrate.js'), [], registryEnv);
    const registryPort = await freePort({ avoid: new Set([port]) });
    const registry: BuiltService = await startBuiltService({
      name: 'the registry',
      file: dist('registry', 'main.js'),
      env: {
        ...registryEnv,
        HOST: '127.0.0.1',
        PORT: String(registryPort),
        REDIS_PREFIX: `test-payments-registry-${process.pid}-${registryPort}`,
        X_ROAD_MEMBERS: JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${internalUrl}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]),
      },
      healthUrl: `http://127.0.0.1:${registryPort}`,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeoutMs: 30_000,
    });
    started.push(registry.stop);

    const identityDb: TestDatabase = await createTestDatabase('payments login identity');
    started.push(identityDb.drop);
    const redisPrefix = `test-payments-identity-${process.pid}-${port}`;
    started.push(async () => {
      // Identity's throttles and logins in progress, apart from other tests' in the shared Redis.
      const redis = createRedis(base.REDIS_URL, 'payments-login-test');
      const keys = await redis.keys(`${redisPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await closeRedis(redis);
    });
    const identityEnv = {
      ...base,
      DATABASE_URL: identityDb.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      COOKIE_KEYS: 'test-cookie-key-payments-login-0123456789abcdef',
      AUTHENTICATOR_KEYS: 'test-authenticator-key-payments-login-0123456789',
      REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
      NOTIFICATIONS_URL: recorder.url,
      REDIS_PREFIX: redisPrefix,
      ...env,
    };
    await runBuiltFile(dist('identity', 'migrate.js'), [], identityEnv);
    const identity = await startBuiltService({ name: 'identity', file: dist('identity', 'main.js'), env: identityEnv, healthUrl: internalUrl, stdio: ['ignore', 'ignore', 'pipe'], timeoutMs: 30_000 });
    started.push(identity.stop);

    const admin = async (...args: string[]) => JSON.parse(await runBuiltFile(dist('identity', 'admin.js'), args, identityEnv)) as Record<string, unknown>;
    // The platform's own organisation, a ministry: its relying parties are first party (no consent page).
    await admin('organisation', 'add', '--id', 'tamkeen', '--name-ar', 'تمكين', '--name-en', 'Tamkeen platform', '--kind', 'ministry').catch((error: Error) => {
      if (!/already/.test(error.message)) throw error;
    });
    return { publicUrl, internalUrl, admin, lastCode: (phoneNumber) => recorder.codes.get(phoneNumber), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The real citizen issuer (startIdentity), with the payment page's relying party registered by the operator command (authorization code, PKCE, client_secret_basic, the one redirect URI). */
export async function startCitizenIssuer({ redirectUri }: { redirectUri: string }): Promise<RunningCitizenIssuer> {
  const identity = await startIdentity();
  try {
    const rp = await identity.admin('relying-party', 'add', '--organisation', 'tamkeen', '--name', 'Payment page', '--redirect-uri', redirectUri, '--issuer', 'citizen');
    return {
      issuer: `${identity.publicUrl}/auth/citizen`,
      internalUrl: identity.internalUrl,
      clientId: String(rp.client_id),
      clientSecret: String(rp.client_secret),
      async addCitizen(nationalId, password, phoneNumber) {
        return String((await identity.admin('citizen', 'add', '--national-id', nationalId, '--password', password, '--phone', phoneNumber)).sub);
      },
      lastCode: identity.lastCode,
      stop: identity.stop,
    };
  } catch (error) {
    await identity.stop();
    throw error;
  }
}
