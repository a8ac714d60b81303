import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { accessTokenVerifier } from '@tamkeen/http-kit';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { addMachineClient, addOrganisation } from './clients/client-registry.js';
import { testIdentity, type TestIdentity } from './test-identity.js';

let identity: TestIdentity;
let moh: { clientId: string; clientSecret: string | undefined };

beforeAll(async () => {
  identity = await testIdentity('identity app');
  await addOrganisation(identity.stores.knex, { id: 'moh', nameAr: 'وزارة الصحة', nameEn: 'Ministry of Health', kind: 'ministry' });
  moh = await addMachineClient(identity.stores.knex, { organisationId: 'moh', name: 'Clinic bookings', scopes: ['notifications:send', 'notifications:read', 'payments:read'] });
});
afterAll(() => identity.close());

/** The relying party's view of the enterprise issuer, through openid-client's discovery. */
const enterprise = (clientId = moh.clientId, secret = moh.clientSecret!) =>
  oidc.discovery(new URL(`${identity.url}/auth/enterprise`), clientId, secret, undefined, { execute: [oidc.allowInsecureRequests] });

describe('the two issuers', () => {
  it('publish discovery and a JWKS each, with keys from PostgreSQL', async () => {
    for (const kind of ['citizen', 'enterprise']) {
      const discovery = await request(identity.url).get(`/auth/${kind}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(discovery.body.issuer).toBe(`${identity.url}/auth/${kind}`);
      expect(discovery.body.jwks_uri).toBe(`${identity.url}/auth/${kind}/jwks`);
      const jwks = await request(identity.app).get(`/auth/${kind}/jwks`);
      expect(jwks.body.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      // Public halves only.
      expect(jwks.body.keys.every((k: Record<string, unknown>) => !('d' in k))).toBe(true);
      const stored = await identity.stores.knex('signing_keys').where({ issuer: kind }).pluck('kid');
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(stored.sort());
    }
  });

  it('offers client credentials on the enterprise issuer only', async () => {
    const citizen = (await request(identity.app).get('/auth/citizen/.well-known/openid-configuration')).body;
    const enterprise = (await request(identity.app).get('/auth/enterprise/.well-known/openid-configuration')).body;
    expect(enterprise.grant_types_supported).toContain('client_credentials');
    expect(citizen.grant_types_supported).not.toContain('client_credentials');
    expect(enterprise.scopes_supported).toEqual(expect.arrayContaining(['notifications:send', 'payments:write', 'reconciliation:read']));
  });
});

describe('machine clients (client credentials)', () => {
  it('get a JWT access token for one API that its resource server verifies, naming the organisation', async () => {
    const config = await enterprise();
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'notifications:send' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(600);
    // The notifications API's own check: RFC 9068, the enterprise JWKS, its audience.
    const verify = accessTokenVerifier({ jwksUrl: `${identity.url}/auth/enterprise/jwks`, issuer: `${identity.url}/auth/enterprise`, audience: `${identity.url}/notifications/v1` });
    const caller = await verify(tokens.access_token);
    expect(caller).toMatchObject({ clientId: moh.clientId, organisationId: 'moh' });
    expect([...caller.scopes]).toEqual(['notifications:send']);
  });

  it('name the API with `resource` when their scopes span several', async () => {
    const config = await enterprise();
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'payments:read', resource: `${identity.url}/payments/v1` });
    const verify = accessTokenVerifier({ jwksUrl: `${identity.url}/auth/enterprise/jwks`, issuer: `${identity.url}/auth/enterprise`, audience: `${identity.url}/payments/v1` });
    expect([...(await verify(tokens.access_token)).scopes]).toEqual(['payments:read']);
    await expect(oidc.clientCredentialsGrant(config, { scope: 'payments:read notifications:send' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('are refused a scope they were not granted, a wrong secret and an unknown API', async () => {
    const config = await enterprise();
    await expect(oidc.clientCredentialsGrant(config, { scope: 'payments:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(oidc.clientCredentialsGrant(await enterprise(moh.clientId, 'not-the-secret'), { scope: 'notifications:send' })).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(oidc.clientCredentialsGrant(config, { scope: 'notifications:send', resource: 'http://elsewhere.test/api' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('may prove themselves with a signed assertion instead of a secret (private_key_jwt)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const keyed = await addMachineClient(identity.stores.knex, { organisationId: 'moh', name: 'Keyed client', scopes: ['notifications:send'], jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' }] } });
    expect(keyed.clientSecret).toBeUndefined();
    const config = await oidc.discovery(new URL(`${identity.url}/auth/enterprise`), keyed.clientId, {}, oidc.PrivateKeyJwt(privateKey), { execute: [oidc.allowInsecureRequests] });
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'notifications:send' });
    expect(tokens.access_token.split('.')).toHaveLength(3);
    // Someone else's key is refused.
    const other = await generateKeyPair('ES256', { extractable: true });
    const impostor = await oidc.discovery(new URL(`${identity.url}/auth/enterprise`), keyed.clientId, {}, oidc.PrivateKeyJwt(other.privateKey), { execute: [oidc.allowInsecureRequests] });
    await expect(oidc.clientCredentialsGrant(impostor, { scope: 'notifications:send' })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('cannot use the citizen issuer', async () => {
    const response = await request(identity.app).post('/auth/citizen/token').auth(moh.clientId, moh.clientSecret!).type('form').send({ grant_type: 'client_credentials', scope: 'notifications:send' });
    expect(response.status).toBeGreaterThanOrEqual(400);
  });
});

describe('the service', () => {
  it('is ready when its database and Redis answer', async () => {
    const response = await request(identity.app).get('/readyz');
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.checks).sort()).toEqual(['postgres', 'redis']);
  });
});
