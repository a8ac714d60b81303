import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { accessTokenVerifier } from '@tamkeen/http-kit';
import { schemaViolations } from '@tamkeen/testing';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import request from 'supertest';
import { enterpriseIssuer, RP_ORIGIN, type RelyingPartyCredentials } from '../test-staff.js';
import { clientAdminWorld, type ClientAdminWorld } from './test-client-admin.js';

// An organisation admin puts a ministry's e-service on the platform by themselves: registers it,
// sees it work, changes it, rotates its secret and removes it, every step audited.

let world: ClientAdminWorld;
let admin: ReturnType<ClientAdminWorld['api']>;
const violations = (schema: string, body: unknown) => schemaViolations('identity.yaml', `#/components/schemas/${schema}`, body);

beforeAll(async () => {
  world = await clientAdminWorld('identity client admin', { amal: { organisation: 'mol', roles: ['org_admin'] } });
  admin = world.api(world.staff.amal!.token);
}, 60_000);
afterAll(() => world.close());

const permitsCallback = `${RP_ORIGIN}mol/permits/callback`;

async function registerRelyingParty(body: object = {}): Promise<RelyingPartyCredentials> {
  const created = await admin.post('/identity/v1/clients', { kind: 'relying_party', name: 'Work permits (staff)', issuer: 'enterprise', redirect_uris: [permitsCallback], ...body });
  expect(created.status).toBe(201);
  return { clientId: created.body.client_id, clientSecret: created.body.client_secret, redirectUri: permitsCallback };
}

async function registerMachineClient(scopes = ['notifications:send']): Promise<{ clientId: string; clientSecret: string }> {
  const created = await admin.post('/identity/v1/clients', { kind: 'machine', name: 'Permit notices', scopes });
  expect(created.status).toBe(201);
  return { clientId: created.body.client_id, clientSecret: created.body.client_secret };
}

const clientCredentials = async (client: { clientId: string; clientSecret: string }, scope = 'notifications:send') =>
  oidc.clientCredentialsGrant(await enterpriseIssuer(world.identity, client), { scope });

describe('registering an e-service', () => {
  it('a relying party: answered once with its secret, and staff then log in through it (authorization code with PKCE)', async () => {
    const created = await admin.post('/identity/v1/clients', {
      kind: 'relying_party',
      name: '  Work permits (staff) ',
      issuer: 'enterprise',
      redirect_uris: [permitsCallback],
      post_logout_redirect_uris: [`${RP_ORIGIN}mol/permits/bye`],
    });
    expect(created.status).toBe(201);
    expect(violations('ClientWithSecret', created.body)).toEqual([]);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.headers.location).toBe(`/identity/v1/clients/${created.body.client_id}`);
    expect(created.body).toMatchObject({ kind: 'relying_party', issuer: 'enterprise', name: 'Work permits (staff)', redirect_uris: [permitsCallback], token_endpoint_auth_method: 'client_secret_basic' });
    expect(created.body.client_id).toMatch(/^mol-[0-9a-f]{8}$/);

    // The admin's own browser, already logged in: the new service gets a code and its secret redeems it.
    const tokens = await world.staff.amal!.login.authorize({ clientId: created.body.client_id, clientSecret: created.body.client_secret, redirectUri: permitsCallback }, { scope: 'openid email' });
    expect(tokens.claims()).toMatchObject({ aud: created.body.client_id, email: 'amal@mol.gov.ps', organisation_id: 'mol', acr: 'urn:tamkeen:loa:high' });
  });

  it('a machine client: its secret gets client-credentials tokens that the API it names accepts', async () => {
    const created = await admin.post('/identity/v1/clients', { kind: 'machine', name: 'Permit notices', scopes: ['notifications:send', 'notifications:read'] });
    expect(created.status).toBe(201);
    expect(violations('ClientWithSecret', created.body)).toEqual([]);
    expect(created.body).toMatchObject({ kind: 'machine', issuer: 'enterprise', scopes: ['notifications:send', 'notifications:read'] });

    const tokens = await clientCredentials({ clientId: created.body.client_id, clientSecret: created.body.client_secret });
    const verify = accessTokenVerifier({ jwksUrl: `${world.identity.url}/auth/enterprise/jwks`, issuer: `${world.identity.url}/auth/enterprise`, audience: `${world.identity.url}/notifications/v1` });
    expect(await verify(tokens.access_token)).toMatchObject({ clientId: created.body.client_id, organisationId: 'mol' });
  });

  it('lists and reads the organisation’s clients, never with a secret', async () => {
    const { clientId } = await registerMachineClient();
    const list = await admin.get('/identity/v1/clients');
    expect(list.status).toBe(200);
    expect(list.body.clients.map((c: { client_id: string }) => c.client_id)).toContain(clientId);
    expect(list.body.clients.map((c: { name: string }) => c.name)).toContain('Console');
    for (const client of list.body.clients) expect(violations('Client', client)).toEqual([]);
    expect(list.text).not.toMatch(/secret"/);

    const one = await admin.get(`/identity/v1/clients/${clientId}`);
    expect(one.status).toBe(200);
    expect(violations('Client', one.body)).toEqual([]);
    expect(one.body).not.toHaveProperty('client_secret');
  });
});

describe('rotating a secret', () => {
  it('gives a new secret once; the old one stops at once (no grace period), the new one works', async () => {
    const client = await registerMachineClient();
    // Used just before: its registration is in the issuer's client cache.
    await clientCredentials(client);

    const rotated = await admin.post(`/identity/v1/clients/${client.clientId}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_id).toBe(client.clientId);
    expect(rotated.body.client_secret).not.toBe(client.clientSecret);
    expect(rotated.headers['cache-control']).toBe('no-store');

    await expect(clientCredentials(client)).rejects.toMatchObject({ error: 'invalid_client' });
    const tokens = await clientCredentials({ clientId: client.clientId, clientSecret: rotated.body.client_secret });
    expect(tokens.access_token.split('.')).toHaveLength(3);
  });
});

describe('rotating keys without a gap (private_key_jwt)', () => {
  it('a client with keys has no secret; a second key is added, used, and the first removed', async () => {
    const key = async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      return { privateKey, jwk: { ...(await exportJWK(publicKey)), use: 'sig' } };
    };
    const [first, second] = [await key(), await key()];
    const created = await admin.post('/identity/v1/clients', { kind: 'machine', name: 'Keyed permits', scopes: ['notifications:send'], jwks: { keys: [first.jwk] } });
    expect(created.status).toBe(201);
    expect(violations('ClientWithSecret', created.body)).toEqual([]);
    expect(created.body).not.toHaveProperty('client_secret');
    expect(created.body.token_endpoint_auth_method).toBe('private_key_jwt');
    const clientId: string = created.body.client_id;
    const signedWith = async (privateKey: Parameters<typeof oidc.PrivateKeyJwt>[0]) =>
      oidc.clientCredentialsGrant(await oidc.discovery(new URL(`${world.identity.url}/auth/enterprise`), clientId, {}, oidc.PrivateKeyJwt(privateKey), { execute: [oidc.allowInsecureRequests] }), { scope: 'notifications:send' });
    await signedWith(first.privateKey);

    const noSecret = await admin.post(`/identity/v1/clients/${clientId}/secret`);
    expect(noSecret.status).toBe(409);
    expect(noSecret.body.code).toBe('no_secret');

    expect((await admin.patch(`/identity/v1/clients/${clientId}`, { jwks: { keys: [first.jwk, second.jwk] } })).status).toBe(200);
    await signedWith(first.privateKey);
    await signedWith(second.privateKey);
    expect((await admin.patch(`/identity/v1/clients/${clientId}`, { jwks: { keys: [second.jwk] } })).status).toBe(200);
    await expect(signedWith(first.privateKey)).rejects.toMatchObject({ error: 'invalid_client' });
    await signedWith(second.privateKey);

    const [lastChange] = (await admin.get(`/identity/v1/clients/${clientId}/events`)).body.events;
    expect(lastChange.changes.jwks_thumbprints.from).toHaveLength(2);
    expect(lastChange.changes.jwks_thumbprints.to).toEqual([await calculateJwkThumbprint(second.jwk)]);
  });
});

describe('changing a client', () => {
  it('new redirect URIs: the old one is refused at /authorize at once, the new one works', async () => {
    const rp = await registerRelyingParty();
    const staff = world.staff.amal!.login;
    await staff.authorize(rp, { scope: 'openid' });

    const moved = `${RP_ORIGIN}mol/permits/v2/callback`;
    const changed = await admin.patch(`/identity/v1/clients/${rp.clientId}`, { redirect_uris: [moved], name: 'Work permits v2' });
    expect(changed.status).toBe(200);
    expect(violations('Client', changed.body)).toEqual([]);
    expect(changed.body).toMatchObject({ name: 'Work permits v2', redirect_uris: [moved] });

    const old = await staff.browser.go(`/auth/enterprise/auth?${new URLSearchParams({ client_id: rp.clientId, response_type: 'code', scope: 'openid', redirect_uri: permitsCallback, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`);
    expect(old.status).toBe(400);
    expect(await old.text()).toMatch(/redirect_uri/);
    const tokens = await staff.authorize({ ...rp, redirectUri: moved }, { scope: 'openid' });
    expect(tokens.claims()?.aud).toBe(rp.clientId);
  });

  it('a machine client’s scopes: a scope taken away is refused from then on', async () => {
    const client = await registerMachineClient(['notifications:send', 'payments:read']);
    await clientCredentials(client, 'payments:read');
    const changed = await admin.patch(`/identity/v1/clients/${client.clientId}`, { scopes: ['notifications:send'] });
    expect(changed.status).toBe(200);
    expect(changed.body.scopes).toEqual(['notifications:send']);
    await expect(clientCredentials(client, 'payments:read')).rejects.toMatchObject({ error: 'invalid_scope' });
  });
});

describe('removing a client', () => {
  it('it can no longer authenticate, and what it was given is revoked at once', async () => {
    const rp = await registerRelyingParty();
    const tokens = await world.staff.amal!.login.authorize(rp, { scope: 'openid email' });
    const userinfo = () => request(world.identity.url).get('/auth/enterprise/me').set('Authorization', `Bearer ${tokens.access_token}`);
    expect((await userinfo()).status).toBe(200);
    const config = await enterpriseIssuer(world.identity, rp);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    const { knex } = world.identity.stores;
    const issued = () => knex('oidc_models').whereRaw(`payload->>'clientId' = ?`, [rp.clientId]).pluck('kind');
    expect(await issued()).toEqual(expect.arrayContaining(['AccessToken', 'Grant']));

    const removed = await admin.delete(`/identity/v1/clients/${rp.clientId}`);
    expect(removed.status).toBe(204);

    expect(await issued()).toEqual([]);
    expect((await userinfo()).status).toBe(401);
    await expect(oidc.tokenIntrospection(config, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_client' });
    expect((await admin.get(`/identity/v1/clients/${rp.clientId}`)).status).toBe(404);
    expect((await admin.delete(`/identity/v1/clients/${rp.clientId}`)).status).toBe(404);
    const [removal] = (await admin.get(`/identity/v1/clients/${rp.clientId}/events`)).body.events;
    expect(removal).toMatchObject({ action: 'deleted', changes: { revoked: { AccessToken: 1, Grant: 1 } } });
  });

  it('a machine client removed gets no more tokens', async () => {
    const client = await registerMachineClient();
    await clientCredentials(client);
    expect((await admin.delete(`/identity/v1/clients/${client.clientId}`)).status).toBe(204);
    await expect(clientCredentials(client)).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe('the audit trail', () => {
  it('records who did what and when, never a secret, and outlives the client', async () => {
    const rp = await registerRelyingParty();
    await admin.patch(`/identity/v1/clients/${rp.clientId}`, { post_logout_redirect_uris: [`${RP_ORIGIN}mol/bye`] }).expect(200);
    await admin.post(`/identity/v1/clients/${rp.clientId}/secret`).expect(200);
    await admin.delete(`/identity/v1/clients/${rp.clientId}`).set('X-Request-Id', 'remove-permits-1').expect(204);

    const events = await admin.get(`/identity/v1/clients/${rp.clientId}/events`);
    expect(events.status).toBe(200);
    expect(schemaViolations('identity.yaml', '#/paths/~1clients~1{client_id}~1events/get/responses/200/content/application~1json/schema', events.body)).toEqual([]);
    expect(events.body.events.map((e: { action: string }) => e.action)).toEqual(['deleted', 'secret_rotated', 'updated', 'created']);
    const actor = { sub: world.staff.amal!.sub, organisation_id: 'mol' };
    const [deleted, rotated, updated, created] = events.body.events;
    expect(created).toMatchObject({ client_id: rp.clientId, actor, changes: { kind: 'relying_party', redirect_uris: [permitsCallback] } });
    expect(updated.changes).toEqual({ post_logout_redirect_uris: { from: [], to: [`${RP_ORIGIN}mol/bye`] } });
    expect(rotated).toMatchObject({ actor, changes: {} });
    expect(deleted).toMatchObject({ actor, request_id: 'remove-permits-1', changes: { revoked: {} } });
    expect(events.text).not.toContain(rp.clientSecret);
    expect(events.text).not.toMatch(/secret"/);
  });

  it('records a change only when something changed', async () => {
    const rp = await registerRelyingParty();
    const unchanged = await admin.patch(`/identity/v1/clients/${rp.clientId}`, { name: 'Work permits (staff)', redirect_uris: [permitsCallback] });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body.updated_at).toBe(unchanged.body.created_at);
    expect((await admin.get(`/identity/v1/clients/${rp.clientId}/events`)).body.events.map((e: { action: string }) => e.action)).toEqual(['created']);
  });

  it('is append-only: the database refuses to change, delete or truncate its rows', async () => {
    const { knex } = world.identity.stores;
    const events = async () => Number((await knex('client_events').count<Array<{ n: string }>>({ n: '*' }))[0]!.n);
    const count = await events();
    expect(count).toBeGreaterThan(0);
    await expect(knex('client_events').update({ actor_sub: 'someone-else' })).rejects.toThrow(/append-only/);
    await expect(knex('client_events').delete()).rejects.toThrow(/append-only/);
    await expect(knex.raw('truncate client_events')).rejects.toThrow(/append-only/);
    expect(await events()).toBe(count);
  });

  it('records clients the operator registers too (the command line shares the registry)', async () => {
    const events = await admin.get(`/identity/v1/clients/${world.consoles.mol.clientId}/events`);
    expect(events.body.events).toEqual([expect.objectContaining({ action: 'created', actor: { sub: 'operator', organisation_id: null } })]);
  });
});
