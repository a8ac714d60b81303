import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { accessTokenVerifier } from '@tamkeen/http-kit';
import { freePort, runBuiltFile, startBuiltService } from '@tamkeen/testing';
import { migrations } from '../db/migrations/index.js';

// The real start-up: identity's build (dist/main.js), started, stopped and started again on one
// database, as npm start and every deployment restart it.

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const SECRET = 'payments-client-secret-for-the-startup-test-1';
const SECOND_SECRET = 'payments-client-secret-for-the-startup-test-2';

let db: TestDatabase;
let url: string;
let baseEnv: Record<string, string>;

const platformClients = (paymentsSecret: string) =>
  JSON.stringify([
    { kind: 'machine', client_id: 'tamkeen-payments', client_secret: paymentsSecret, name: 'Payments', scope: 'notifications:send notifications:read' },
    { kind: 'relying_party', client_id: 'tamkeen-pay', client_secret: 'pay-login-client-secret-for-the-startup-test', name: 'Payment page', issuer: 'citizen', redirect_uris: [`${url}/pay/login/callback`] },
  ]);

/** identity from its build with this PLATFORM_CLIENTS, until `use` is done; what it wrote to standard output. */
async function whileRunning(paymentsSecret: string, use: () => Promise<void>): Promise<string> {
  const service = await startBuiltService({ name: 'identity', file: main, env: { ...baseEnv, PLATFORM_CLIENTS: platformClients(paymentsSecret) }, healthUrl: url, stdio: ['ignore', 'pipe', 'pipe'], timeoutMs: 20_000 });
  let stdout = '';
  service.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  try {
    await use();
  } finally {
    await service.stop();
  }
  return stdout;
}

const token = (secret: string) =>
  fetch(`${url}/auth/enterprise/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`tamkeen-payments:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'notifications:send notifications:read' }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, string> }));

const auditRows = () => db.knex('client_events').orderBy('id').select('client_id', 'action', 'actor_sub');

beforeAll(async () => {
  db = await createTestDatabase('identity platform startup', migrations);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  baseEnv = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `test-identity-startup-${process.pid}`,
    PUBLIC_URL: url,
    REGISTRY_URL: 'http://127.0.0.1:1',
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdef0123456789',
    AUTHENTICATOR_KEYS: 'test-authenticator-key-0123456789abcdef0123',
  };
}, 30_000);
afterAll(() => db.drop());

describe('identity started with PLATFORM_CLIENTS', () => {
  it('has the clients before it answers, and tamkeen-payments gets a token for the notifications API', async () => {
    const stdout = await whileRunning(SECRET, async () => {
      const { status, body } = await token(SECRET);
      expect(status).toBe(200);
      const verify = accessTokenVerifier({ jwksUrl: `${url}/auth/enterprise/jwks`, issuer: `${url}/auth/enterprise`, audience: `${url}/notifications/v1` });
      const caller = await verify(body.access_token!);
      expect(caller).toMatchObject({ clientId: 'tamkeen-payments', organisationId: 'tamkeen' });
      expect([...caller.scopes].sort()).toEqual(['notifications:read', 'notifications:send']);
    });
    expect(await auditRows()).toEqual([
      { client_id: 'tamkeen-payments', action: 'created', actor_sub: 'configuration' },
      { client_id: 'tamkeen-pay', action: 'created', actor_sub: 'configuration' },
    ]);
    expect(stdout).toContain('platform client tamkeen-payments: created');
    expect(stdout).not.toContain(SECRET);
  }, 60_000);

  it('changes nothing when restarted with the same configuration', async () => {
    const before = await auditRows();
    const stdout = await whileRunning(SECRET, async () => {
      expect((await token(SECRET)).status).toBe(200);
    });
    expect(await auditRows()).toEqual(before);
    expect(stdout).toContain('platform client tamkeen-payments: unchanged');
  }, 60_000);

  it('takes a changed secret when restarted with it', async () => {
    await whileRunning(SECOND_SECRET, async () => {
      expect((await token(SECOND_SECRET)).status).toBe(200);
      expect((await token(SECRET)).body.error).toBe('invalid_client');
    });
    expect((await auditRows()).at(-1)).toEqual({ client_id: 'tamkeen-payments', action: 'secret_rotated', actor_sub: 'configuration' });
  }, 60_000);

  it('does not start when PLATFORM_CLIENTS is wrong, and says which field', async () => {
    const bad = JSON.stringify([{ kind: 'machine', client_id: 'tamkeen-payments', client_secret: 'short', name: 'Payments', scope: 'notifications:send clients:write' }]);
    const failure = runBuiltFile(main, [], { ...baseEnv, PLATFORM_CLIENTS: bad });
    await expect(failure).rejects.toThrow(/exited 78/);
    await expect(failure).rejects.toThrow(/PLATFORM_CLIENTS: \[0\]\.client_secret must be at least 32 characters/);
    await expect(failure).rejects.toThrow(/PLATFORM_CLIENTS: \[0\]\.scope clients:write: not a scope a machine client may have/);
  }, 30_000);
});
