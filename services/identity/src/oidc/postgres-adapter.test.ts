import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import { postgresAdapter, sweepExpiredModels } from './postgres-adapter.js';

let stores: TestStores;
beforeAll(async () => {
  stores = await openTestStores('identity adapter', migrations);
});
afterAll(() => stores.close());

describe('the PostgreSQL adapter of oidc-provider', () => {
  it('stores, finds by id, uid and user code, and replaces on upsert', async () => {
    const Adapter = postgresAdapter(stores.knex, 'citizen');
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 60);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'b' }, 60);
    expect(await sessions.find('s1')).toEqual({ uid: 'u1', accountId: 'b' });
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'b' });
    // Another instance (a restart) reads the same.
    expect(await new (postgresAdapter(stores.knex, 'citizen'))('Session').find('s1')).toEqual({ uid: 'u1', accountId: 'b' });
    const devices = new Adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
    expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH' });
    // Kinds are apart.
    expect(await new Adapter('Grant').find('s1')).toBeUndefined();
  });

  it('marks a code consumed, destroys, and revokes everything of a grant', async () => {
    const codes = new (postgresAdapter(stores.knex, 'citizen'))('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await codes.consume('c1');
    expect(await codes.find('c1')).toMatchObject({ grantId: 'g1', consumed: expect.any(Number) });
    await codes.upsert('c2', { grantId: 'g1' }, 60);
    await codes.upsert('c3', { grantId: 'g2' }, 60);
    await codes.revokeByGrantId('g1');
    expect(await codes.find('c2')).toBeUndefined();
    expect(await codes.find('c3')).toBeDefined();
    await codes.destroy('c3');
    expect(await codes.find('c3')).toBeUndefined();
  });

  it('reads a client once for a while, and never remembers one that does not exist', async () => {
    await stores.knex('organisations').insert({ id: 'moe', name_ar: 'وزارة التربية', name_en: 'Ministry of Education', kind: 'ministry' });
    const clients = new (postgresAdapter(stores.knex, 'citizen', { clientCacheMs: 60_000 }))('Client');
    expect(await clients.find('moe-exams')).toBeUndefined();
    await stores.knex('oidc_clients').insert({ client_id: 'moe-exams', issuer: 'citizen', organisation_id: 'moe', name: 'Exams', metadata: { redirect_uris: ['https://a.example/cb'] } });
    expect(await clients.find('moe-exams')).toMatchObject({ client_id: 'moe-exams', organisation_id: 'moe', redirect_uris: ['https://a.example/cb'] });
    await stores.knex('oidc_clients').where({ client_id: 'moe-exams' }).update({ metadata: { redirect_uris: ['https://b.example/cb'] } });
    expect(await clients.find('moe-exams')).toMatchObject({ redirect_uris: ['https://a.example/cb'] });
    // Without the cache, the change shows at once; another issuer never sees it.
    expect(await new (postgresAdapter(stores.knex, 'citizen', { clientCacheMs: 0 }))('Client').find('moe-exams')).toMatchObject({ redirect_uris: ['https://b.example/cb'] });
    expect(await new (postgresAdapter(stores.knex, 'enterprise'))('Client').find('moe-exams')).toBeUndefined();
  });

  it('never returns what has expired, and the sweep deletes it', async () => {
    const tokens = new (postgresAdapter(stores.knex, 'enterprise'))('AccessToken');
    await tokens.upsert('t1', { jti: 't1' }, 60);
    await stores.knex('oidc_models').where({ kind: 'AccessToken', id: 't1' }).update({ expires_at: stores.knex.raw("now() - interval '1 second'") });
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await sweepExpiredModels(stores.knex)).toBeGreaterThanOrEqual(1);
    expect(await stores.knex('oidc_models').where({ id: 't1' }).first()).toBeUndefined();
  });
});
