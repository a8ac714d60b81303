import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import { exportJWK, generateKeyPair } from 'jose';
import { parse } from 'yaml';
import { apiResources, machineClientScopes } from '../oidc/resource-servers.js';
import { RP_ORIGIN } from '../test-staff.js';
import { redirectUriProblem } from './client-input.js';
import { clientAdminWorld, type ClientAdminWorld } from './test-client-admin.js';

// Every bad input is a 400 naming the field, and nothing is written.

describe('a redirect URI', () => {
  it.each([
    ['https://permits.mol.gov.ps/callback', undefined],
    ['https://permits.mol.gov.ps:8443/cb?from=login', undefined],
    ['http://localhost:3000/callback', undefined],
    ['http://127.0.0.1:3000/callback', undefined],
    ['http://[::1]:3000/callback', undefined],
    ['http://permits.mol.gov.ps/callback', /must use https/],
    ['https://*.mol.gov.ps/callback', /wildcards/],
    ['https://permits.mol.gov.ps/*', /wildcards/],
    ['https://permits.mol.gov.ps/callback#done', /fragment/],
    ['https://permits.mol.gov.ps/callback#', /fragment/],
    ['/callback', /absolute URL/],
    ['permits.mol.gov.ps/callback', /absolute URL/],
    ['https://user:pw@permits.mol.gov.ps/callback', /user name or password/],
    ['javascript:alert(1)', /https/],
    ['ps.gov.mol.permits:/callback', /https/],
    ['https://permits.mol.gov.ps/call back', /spaces/],
  ])('%s: %s', (uri, problem) => {
    if (problem === undefined) expect(redirectUriProblem(uri)).toBeUndefined();
    else expect(redirectUriProblem(uri)).toMatch(problem);
  });
});

describe('the description', () => {
  it('lists exactly the scopes a machine client may have', () => {
    const spec = parse(readFileSync(new URL('../../../../openapi/identity.yaml', import.meta.url), 'utf8'));
    expect(spec.components.schemas.MachineScope.enum).toEqual(machineClientScopes(apiResources('')));
  });
});

describe('the API', () => {
  let world: ClientAdminWorld;
  let admin: ReturnType<ClientAdminWorld['api']>;
  let rpId: string;
  let machineId: string;

  beforeAll(async () => {
    world = await clientAdminWorld('identity client input', { amal: { organisation: 'mol', roles: ['org_admin'] } });
    admin = world.api(world.staff.amal!.token);
    rpId = (await admin.post('/identity/v1/clients', { kind: 'relying_party', name: 'Work permits', redirect_uris: [`${RP_ORIGIN}cb`] }).expect(201)).body.client_id;
    machineId = (await admin.post('/identity/v1/clients', { kind: 'machine', name: 'Permit notices', scopes: ['notifications:send'] }).expect(201)).body.client_id;
  }, 60_000);
  afterAll(() => world.close());

  /** Every row of the tables the API writes, to show that a refused request wrote nothing. */
  const everything = async () => {
    const { knex } = world.identity.stores;
    return { clients: await knex('oidc_clients').orderBy('client_id').select(), events: await knex('client_events').count({ n: '*' }) };
  };

  async function expectRefused(response: { status: number; body: any }, fields: string[]) {
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.invalid_params.map((p: { name: string }) => p.name)).toEqual(fields);
    for (const field of fields) expect(response.body.detail).toContain(field);
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', response.body)).toEqual([]);
  }

  const rp = (fields: object) => ({ kind: 'relying_party', name: 'Work permits', redirect_uris: [`${RP_ORIGIN}cb`], ...fields });
  const machine = (fields: object) => ({ kind: 'machine', name: 'Permit notices', scopes: ['notifications:send'], ...fields });
  const tooMany = Array.from({ length: 11 }, (_, i) => `${RP_ORIGIN}cb/${i}`);

  it.each([
    ['no kind', { name: 'x' }, ['kind']],
    ['an unknown kind', { kind: 'robot', name: 'x' }, ['kind']],
    ['an empty name', rp({ name: '   ' }), ['name']],
    ['a name of 101 characters', rp({ name: 'x'.repeat(101) }), ['name']],
    ['a name with a control character', rp({ name: 'Work\u0000permits' }), ['name']],
    ['no redirect URI', rp({ redirect_uris: [] }), ['redirect_uris']],
    ['a plain-http redirect URI', rp({ redirect_uris: ['http://permits.mol.gov.ps/cb'] }), ['redirect_uris.0']],
    ['a wildcard redirect URI', rp({ redirect_uris: [`${RP_ORIGIN}cb`, 'https://*.mol.gov.ps/cb'] }), ['redirect_uris.1']],
    ['a redirect URI with a fragment', rp({ redirect_uris: [`${RP_ORIGIN}cb#x`] }), ['redirect_uris.0']],
    ['the same redirect URI twice', rp({ redirect_uris: [`${RP_ORIGIN}cb`, `${RP_ORIGIN}cb`] }), ['redirect_uris.1']],
    ['eleven redirect URIs', rp({ redirect_uris: tooMany }), ['redirect_uris']],
    ['a relative post-logout URI', rp({ post_logout_redirect_uris: ['/bye'] }), ['post_logout_redirect_uris.0']],
    ['a plain-http back-channel logout URI', rp({ backchannel_logout_uri: 'http://mol.gov.ps/logout' }), ['backchannel_logout_uri']],
    ['an unknown issuer', rp({ issuer: 'martian' }), ['issuer']],
    ['a field a relying party does not have', rp({ scopes: ['notifications:send'] }), ['scopes']],
    ['no scopes', machine({ scopes: [] }), ['scopes']],
    ['an unknown scope', machine({ scopes: ['notifications:send', 'payments:everything'] }), ['scopes.1']],
    ['a staff-only scope', machine({ scopes: ['clients:write'] }), ['scopes.0']],
    ['the same scope twice', machine({ scopes: ['notifications:send', 'notifications:send'] }), ['scopes.1']],
    ['a field a machine client does not have', machine({ redirect_uris: [`${RP_ORIGIN}cb`] }), ['redirect_uris']],
    ['a JWK Set that is not one', machine({ jwks: [{ kty: 'EC' }] }), ['jwks']],
    ['an RSA key', machine({ jwks: { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] } }), ['jwks.keys.0.kty', 'jwks.keys.0.crv', 'jwks.keys.0.x', 'jwks.keys.0.y']],
  ])('a new client with %s', async (_what, body, fields) => {
    const before = await everything();
    await expectRefused(await admin.post('/identity/v1/clients', body), fields);
    expect(await everything()).toEqual(before);
  });

  it('a body that is not JSON, or not an object', async () => {
    const before = await everything();
    await expectRefused(await admin.post('/identity/v1/clients', undefined), ['(body)']);
    await expectRefused(await admin.post('/identity/v1/clients').set('Content-Type', 'application/json').send('[1, 2]'), ['(body)']);
    expect((await admin.post('/identity/v1/clients').set('Content-Type', 'application/json').send('{"kind": ')).body.code).toBe('malformed_body');
    expect(await everything()).toEqual(before);
  });

  it('a private key, refused without being stored or echoed', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const before = await everything();
    const response = await admin.post('/identity/v1/clients', machine({ jwks: { keys: [jwk] } }));
    await expectRefused(response, ['jwks.keys.0.d']);
    expect(response.text).not.toContain(jwk.d);
    expect(await everything()).toEqual(before);
  });

  it.each([
    ['nothing to change', 'rp', {}, ['(body)']],
    ['an empty name', 'rp', { name: '' }, ['name']],
    ['no redirect URI left', 'rp', { redirect_uris: [] }, ['redirect_uris']],
    ['a wildcard redirect URI', 'rp', { redirect_uris: ['https://mol.gov.ps/*'] }, ['redirect_uris.0']],
    ['a new kind', 'rp', { kind: 'machine' }, ['kind']],
    ['a new issuer', 'rp', { issuer: 'enterprise' }, ['issuer']],
    ['scopes, on a relying party', 'rp', { scopes: ['notifications:send'] }, ['scopes']],
    ['a staff-only scope', 'machine', { scopes: ['clients:read'] }, ['scopes.0']],
    ['redirect URIs, on a machine client', 'machine', { redirect_uris: [`${RP_ORIGIN}cb`] }, ['redirect_uris']],
    ['keys, on a client with a secret', 'machine', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ' }] } }, ['jwks']],
  ])('a change with %s', async (_what, which, body, fields) => {
    const before = await everything();
    await expectRefused(await admin.patch(`/identity/v1/clients/${which === 'rp' ? rpId : machineId}`, body), fields);
    expect(await everything()).toEqual(before);
  });

  it('a client id that is no client: 404, whatever its length', async () => {
    expect((await admin.get('/identity/v1/clients/mol-00000000')).status).toBe(404);
    const long = await admin.patch(`/identity/v1/clients/${'x'.repeat(5000)}`, { name: 'x' });
    expect(long.status).toBe(404);
  });
});
