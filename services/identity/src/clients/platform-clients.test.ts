import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@tamkeen/config';
import { accessTokenVerifier, createLogger } from '@tamkeen/http-kit';
import { logCapture, testBrowser } from '@tamkeen/testing';
import * as oidc from 'openid-client';
import request from 'supertest';
import { providerCheck } from '../admin-api/provider-check.js';
import { identityConfig } from '../config.js';
import { isThirdParty } from '../oidc/first-party-grants.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';
import { addMachineClient } from './client-registry.js';
import { ensurePlatformClients } from './platform-clients.js';

let identity: TestIdentity;
const logs = logCapture();
const logger = createLogger({ service: 'identity', destination: logs.destination });

const PAYMENTS_SECRET = 'payments-client-secret-for-these-tests-0001';
const PAY_LOGIN_SECRET = 'pay-login-client-secret-for-these-tests-0001';

/** What npm start gives identity, with this test identity's public origin. */
const declared = (overrides: { paymentsSecret?: string; scope?: string; redirectUris?: string[] } = {}) => [
  { kind: 'machine', client_id: 'tamkeen-payments', client_secret: overrides.paymentsSecret ?? PAYMENTS_SECRET, name: 'Payments', scope: overrides.scope ?? 'notifications:send notifications:read' },
  { kind: 'relying_party', client_id: 'tamkeen-pay', client_secret: PAY_LOGIN_SECRET, name: 'Payment page', issuer: 'citizen', redirect_uris: overrides.redirectUris ?? [`${identity.url}/pay/login/callback`] },
];

/** PLATFORM_CLIENTS as identity's configuration reads it. */
function platformClients(value: unknown) {
  const { DATABASE_URL, REDIS_URL } = identity.config;
  return loadConfig('identity', identityConfig, {
    DATABASE_URL,
    REDIS_URL,
    COOKIE_KEYS: 'test-cookie-key-0123456789abcdef0123456789',
    AUTHENTICATOR_KEYS: 'test-authenticator-key-0123456789abcdef0123',
    PLATFORM_CLIENTS: typeof value === 'string' ? value : JSON.stringify(value),
  }).PLATFORM_CLIENTS;
}

/** identity's start-up step, as main.ts runs it. */
const ensure = (value: unknown) => ensurePlatformClients(identity.stores.knex, platformClients(value), { check: providerCheck(identity.providers), logger });

const events = () => identity.stores.knex('client_events').orderBy('id').select('client_id', 'organisation_id', 'action', 'actor_sub', 'changes');

/** payments' token request: client_credentials at the enterprise token endpoint, client_secret_basic. */
const paymentsToken = (secret: string, form: Record<string, string> = {}) =>
  request(identity.app)
    .post('/auth/enterprise/token')
    .auth('tamkeen-payments', secret)
    .type('form')
    .send({ grant_type: 'client_credentials', scope: 'notifications:send notifications:read', ...form });

beforeAll(async () => {
  identity = await testIdentity('identity platform clients');
  await ensure(declared());
}, 30_000);
afterAll(() => identity.close());

describe("the platform's own clients (PLATFORM_CLIENTS), ensured at start-up", () => {
  it('are registered with their fixed ids in the organisation tamkeen, a ministry, audited as configuration', async () => {
    expect(await identity.stores.knex('organisations').where({ id: 'tamkeen' }).first()).toMatchObject({ name_ar: 'تمكين', name_en: 'Tamkeen platform', kind: 'ministry' });
    const clients = await identity.stores.knex('oidc_clients').where({ organisation_id: 'tamkeen' }).orderBy('client_id').select('client_id', 'issuer');
    expect(clients).toEqual([
      { client_id: 'tamkeen-pay', issuer: 'citizen' },
      { client_id: 'tamkeen-payments', issuer: 'enterprise' },
    ]);
    const audit = await events();
    expect(audit.map((e) => [e.client_id, e.action, e.actor_sub])).toEqual([
      ['tamkeen-payments', 'created', 'configuration'],
      ['tamkeen-pay', 'created', 'configuration'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(PAYMENTS_SECRET);
    expect(logs.text()).toContain('tamkeen-payments');
    expect(logs.text()).not.toContain(PAYMENTS_SECRET);
    expect(logs.text()).not.toContain(PAY_LOGIN_SECRET);
  });

  it("give tamkeen-payments a token for the notifications API that the notifications service's check accepts, with or without `resource`", async () => {
    const verify = accessTokenVerifier({ jwksUrl: `${identity.url}/auth/enterprise/jwks`, issuer: `${identity.url}/auth/enterprise`, audience: `${identity.url}/notifications/v1` });
    for (const form of [{}, { resource: `${identity.url}/notifications/v1` }] as Array<Record<string, string>>) {
      const response = await paymentsToken(PAYMENTS_SECRET, form);
      expect(response.status).toBe(200);
      const caller = await verify(response.body.access_token);
      expect(caller).toMatchObject({ clientId: 'tamkeen-payments', organisationId: 'tamkeen' });
      expect([...caller.scopes].sort()).toEqual(['notifications:read', 'notifications:send']);
    }
    // Only what it was registered with.
    expect((await paymentsToken(PAYMENTS_SECRET, { scope: 'payments:write' })).body.error).toBe('invalid_scope');
  });

  it('change nothing when started again with the same list', async () => {
    const before = await events();
    const rows = await identity.stores.knex('oidc_clients').orderBy('client_id').select('client_id', 'updated_at', 'metadata');
    await ensure(declared());
    expect(await events()).toEqual(before);
    expect(await identity.stores.knex('oidc_clients').orderBy('client_id').select('client_id', 'updated_at', 'metadata')).toEqual(rows);
  });

  it('take a changed secret, scope or redirect URI at once, audited without the secret, and leave clients not listed alone', async () => {
    const other = await addMachineClient(identity.stores.knex, { organisationId: 'tamkeen', name: 'Added by an operator', scopes: ['notifications:read'] });
    const before = (await events()).length;
    const newSecret = 'payments-client-secret-for-these-tests-0002';
    await ensure(declared({ paymentsSecret: newSecret, scope: 'notifications:send', redirectUris: [`${identity.url}/pay/login/callback`, `${identity.url}/pay/login/callback2`] }));

    expect((await paymentsToken(PAYMENTS_SECRET, { scope: 'notifications:send' })).body.error).toBe('invalid_client');
    expect((await paymentsToken(newSecret, { scope: 'notifications:send' })).status).toBe(200);
    expect((await paymentsToken(newSecret)).body.error).toBe('invalid_scope');
    const added = (await events()).slice(before);
    expect(added.map((e) => [e.client_id, e.action, e.actor_sub])).toEqual([
      ['tamkeen-payments', 'updated', 'configuration'],
      ['tamkeen-payments', 'secret_rotated', 'configuration'],
      ['tamkeen-pay', 'updated', 'configuration'],
    ]);
    expect(added[0]!.changes).toEqual({ scopes: { from: ['notifications:send', 'notifications:read'], to: ['notifications:send'] } });
    expect(JSON.stringify(added)).not.toContain(newSecret);
    expect(logs.text()).not.toContain(newSecret);
    expect(await identity.stores.knex('oidc_clients').where({ client_id: other.clientId }).first()).toBeDefined();

    await ensure(declared());
    expect((await paymentsToken(PAYMENTS_SECRET)).status).toBe(200);
  });

  it('let the payment page begin a citizen login at urn:tamkeen:loa:substantial, as a first party (no consent page)', async () => {
    const client = await identity.providers.citizen.Client.find('tamkeen-pay');
    expect(client && isThirdParty(client)).toBe(false);
    const browser = testBrowser(identity.url);
    const verifier = oidc.randomPKCECodeVerifier();
    const query = new URLSearchParams({
      client_id: 'tamkeen-pay',
      response_type: 'code',
      redirect_uri: `${identity.url}/pay/login/callback`,
      scope: 'openid',
      acr_values: 'urn:tamkeen:loa:substantial',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    });
    const started = await browser.go(`/auth/citizen/auth?${query}`);
    expect(started.status).toBe(303);
    expect(started.headers.get('location')).toMatch(/^\/auth\/citizen\/interaction\/[\w-]+$/);
    const page = await browser.follow(started);
    expect(typeof page).not.toBe('string');
    expect((page as Response).status).toBe(200);
    expect(await (page as Response).text()).toContain('name="password"');
    // Its secret authenticates it at the citizen token endpoint (the code is what is wrong here).
    const exchange = (secret: string) =>
      request(identity.app).post('/auth/citizen/token').auth('tamkeen-pay', secret).type('form').send({ grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: `${identity.url}/pay/login/callback`, code_verifier: verifier });
    expect((await exchange(PAY_LOGIN_SECRET)).body.error).toBe('invalid_grant');
    expect((await exchange('not-the-secret-at-all-0123456789abcdef')).body.error).toBe('invalid_client');
  });
});

describe('a bad PLATFORM_CLIENTS', () => {
  const problemsOf = (value: unknown) => {
    try {
      platformClients(value);
    } catch (error) {
      if (error instanceof ConfigError) return error;
    }
    throw new Error('expected a ConfigError');
  };

  it('stops start-up naming every wrong field, without echoing a secret', () => {
    const error = problemsOf([
      { kind: 'machine', client_id: 'tamkeen-payments', client_secret: 'too-short-secret', name: 'Payments', scope: 'notifications:send clients:write' },
      { kind: 'relying_party', client_id: 'Tamkeen Pay', client_secret: PAY_LOGIN_SECRET, name: 'Payment page', redirect_uris: ['http://pay.example/callback#x'], colour: 'blue' },
      { kind: 'robot', client_id: 'x' },
    ]);
    expect(error.problems.every((p) => p.variable === 'PLATFORM_CLIENTS')).toBe(true);
    const reasons = error.problems.map((p) => p.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        '[0].client_secret must be at least 32 characters',
        expect.stringMatching(/^\[0\]\.scope clients:write: not a scope a machine client may have/),
        '[1].client_id must be 2 to 100 lower-case letters, digits or dashes',
        '[1].issuer is required: citizen or enterprise',
        '[1].redirect_uris[0] must not have a fragment (#…)',
        '[1] has no field colour',
        '[2].kind must be an object whose kind is machine or relying_party',
      ]),
    );
    expect(error.message).toContain('PLATFORM_CLIENTS: [0].client_secret must be at least 32 characters');
    expect(error.message).not.toContain('too-short-secret');
    expect(error.message).not.toContain(PAY_LOGIN_SECRET);
  });

  it('refuses text that is not JSON without quoting it, and a client id listed twice', () => {
    const notJson = problemsOf(`[{"client_secret": "${PAYMENTS_SECRET}"`);
    expect(notJson.problems[0]!.reason).toMatch(/^must be JSON/);
    expect(notJson.message).not.toContain(PAYMENTS_SECRET);
    const twice = declared();
    expect(problemsOf([twice[0], twice[0]]).problems.map((p) => p.reason)).toEqual(['[1].client_id is listed twice']);
    // Read differently by clients that form-encode Basic credentials and those that do not.
    expect(problemsOf([{ ...twice[0], client_secret: `${'a'.repeat(32)}+/=` }]).problems[0]!.reason).toMatch(/^\[0\]\.client_secret must be letters, digits and - \. _ ~ only/);
  });

  it('is none when unset', () => {
    expect(platformClients('')).toEqual([]);
  });
});
