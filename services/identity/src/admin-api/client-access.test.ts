import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import * as oidc from 'openid-client';
import request from 'supertest';
import { addMachineClient } from '../clients/client-registry.js';
import { apiResources, machineClientScopes } from '../oidc/resource-servers.js';
import { enterpriseIssuer, RP_ORIGIN } from '../test-staff.js';
import { clientAdminWorld, type ClientAdminWorld } from './test-client-admin.js';

// Only a person's own login manages clients, only their own organisation's, only as their roles allow.

let world: ClientAdminWorld;
const problemViolations = (body: unknown) => schemaViolations('platform.yaml', '#/components/schemas/Problem', body);
const identityApi = () => `${world.identity.url}/identity/v1`;

beforeAll(async () => {
  world = await clientAdminWorld('identity client access', {
    amal: { organisation: 'mol', roles: ['org_admin'] },
    hadi: { organisation: 'moh', roles: ['org_admin'] },
    rami: { organisation: 'mol', roles: ['finance_officer'] },
    dana: { organisation: 'mol', roles: ['developer'] },
    sami: { organisation: 'mol', roles: ['org_admin'] },
  });
}, 60_000);
afterAll(() => world.close());

const api = (name: string) => world.api(world.staff[name]!.token);
const count = async (table: string) => Number((await world.identity.stores.knex(table).count<Array<{ n: string }>>({ n: '*' }))[0]!.n);
const newMachineClient = { kind: 'machine', name: 'Clinic bookings', scopes: ['notifications:send'] };

describe('who may call', () => {
  it('no token: 401 with a Bearer challenge', async () => {
    const response = await request(world.identity.app).get('/identity/v1/clients');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tamkeen"');
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(problemViolations(response.body)).toEqual([]);
  });

  it('a token that is not an access token for this API: 401', async () => {
    const idToken = world.staff.amal!.login.tokens.id_token!;
    const response = await request(world.identity.app).get('/identity/v1/clients').set('Authorization', `Bearer ${idToken}`);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_token');
  });

  it('a finance officer: 403, the role named, nothing written', async () => {
    expect(world.staff.rami!.login.tokens.scope ?? '').not.toMatch(/clients:/);
    const before = await count('oidc_clients');
    for (const response of [await api('rami').get('/identity/v1/clients'), await api('rami').post('/identity/v1/clients', newMachineClient)]) {
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('insufficient_scope');
      expect(response.body.detail).toMatch(/org_admin/);
      expect(problemViolations(response.body)).toEqual([]);
    }
    expect(await count('oidc_clients')).toBe(before);
  });

  it('a developer reads the organisation’s clients but changes none', async () => {
    expect((await api('dana').get('/identity/v1/clients')).status).toBe(200);
    const refused = await api('dana').post('/identity/v1/clients', newMachineClient);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/clients:write.*org_admin/);
  });

  it('a staff member who loses the role, or is disabled, loses access at once (the token is not enough)', async () => {
    const { knex } = world.identity.stores;
    const sami = world.staff.sami!;
    expect((await api('sami').post('/identity/v1/clients', newMachineClient)).status).toBe(201);
    await knex('enterprise_users').where({ id: sami.sub }).update({ roles: ['developer'] });
    expect((await api('sami').post('/identity/v1/clients', newMachineClient)).body.code).toBe('insufficient_scope');
    await knex('enterprise_users').where({ id: sami.sub }).update({ disabled_at: knex.fn.now() });
    const disabled = await api('sami').get('/identity/v1/clients');
    expect(disabled.status).toBe(403);
    expect(disabled.body.code).toBe('account_disabled');
  });
});

describe('machine clients', () => {
  it('can never be given clients:* scopes: not by the API, not by the registry the command line uses, not at the token endpoint', async () => {
    expect(machineClientScopes(apiResources('')).filter((s) => s.startsWith('clients:'))).toEqual([]);
    await expect(addMachineClient(world.identity.stores.knex, { organisationId: 'mol', name: 'Rogue', scopes: ['clients:read'] })).rejects.toThrow(/may not be granted clients:read/);
    const refused = await api('amal').post('/identity/v1/clients', { ...newMachineClient, scopes: ['notifications:send', 'clients:write'] });
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual([{ name: 'scopes.1', reason: expect.stringMatching(/not a scope a machine client may have/) }]);

    const created = await api('amal').post('/identity/v1/clients', newMachineClient);
    const issuer = await enterpriseIssuer(world.identity, { clientId: created.body.client_id, clientSecret: created.body.client_secret });
    await expect(oidc.clientCredentialsGrant(issuer, { scope: 'clients:write' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(oidc.clientCredentialsGrant(issuer, { scope: 'clients:read', resource: identityApi() })).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('are refused with 403 whatever their token carries: only a person’s login manages clients', async () => {
    // A machine client that somehow holds clients:write (written into its registration by hand).
    const { knex } = world.identity.stores;
    const { clientId, clientSecret } = await addMachineClient(knex, { organisationId: 'mol', name: 'Rogue', scopes: ['notifications:send'] });
    await knex('oidc_clients').where({ client_id: clientId }).update({ metadata: knex.raw(`jsonb_set(metadata, '{scope}', '"notifications:send clients:write"')`) });
    const rogue = await enterpriseIssuer(world.identity, { clientId, clientSecret: clientSecret! });
    const { access_token: token } = await oidc.clientCredentialsGrant(rogue, { scope: 'clients:write' });
    for (const response of [await world.api(token).get('/identity/v1/clients'), await world.api(token).post('/identity/v1/clients', newMachineClient)]) {
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('staff_login_required');
      expect(response.body.detail).toMatch(/machine client/);
      expect(problemViolations(response.body)).toEqual([]);
    }
  });
});

describe('one organisation’s clients', () => {
  it('are another’s 404, to read, change, rotate, remove or audit; and absent from its list', async () => {
    const mine = await api('amal').post('/identity/v1/clients', { kind: 'relying_party', name: 'Work permits', redirect_uris: [`${RP_ORIGIN}mol/cb`] });
    expect(mine.status).toBe(201);
    const path = `/identity/v1/clients/${mine.body.client_id}`;
    const moh = api('hadi');
    const answers = [
      await moh.get(path),
      await moh.patch(path, { name: 'Taken over' }),
      await moh.post(`${path}/secret`),
      await moh.delete(path),
      await moh.get(`${path}/events`),
    ];
    for (const response of answers) {
      expect(response.status).toBe(404);
      expect(response.body.detail).toBe(`Your organisation has no client ${mine.body.client_id}.`);
      expect(problemViolations(response.body)).toEqual([]);
    }
    expect((await moh.get('/identity/v1/clients')).body.clients.map((c: { client_id: string }) => c.client_id)).not.toContain(mine.body.client_id);
    // Untouched: same name, same secret (it still authenticates at its issuer, the citizen one), no event but its creation.
    expect((await api('amal').get(path)).body.name).toBe('Work permits');
    expect((await api('amal').get(`${path}/events`)).body.events).toHaveLength(1);
    const tokenEndpoint = await request(world.identity.app).post('/auth/citizen/token').auth(mine.body.client_id, mine.body.client_secret).type('form').send({ grant_type: 'authorization_code', code: 'x', redirect_uri: `${RP_ORIGIN}mol/cb` });
    expect(tokenEndpoint.body.error).toBe('invalid_grant');
  });
});
