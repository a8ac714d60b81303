import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import { publicJwks, rotateSigningKeys, signingKeys } from './signing-keys.js';

let stores: TestStores;
beforeAll(async () => {
  stores = await openTestStores('identity keys', migrations);
});
afterAll(() => stores.close());

describe('signing keys', () => {
  it('are made once per issuer, even when instances start together', async () => {
    const [a, b] = await Promise.all([signingKeys(stores.knex, 'enterprise'), signingKeys(stores.knex, 'enterprise')]);
    expect(a.map((k) => k.kid)).toEqual(b.map((k) => k.kid));
    expect(a.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(await stores.knex('signing_keys').where({ issuer: 'enterprise' }).count({ n: '*' })).toEqual([{ n: '2' }]);
  });

  it('rotate: the new keys sign (they come first), the old stay published for the window, then go', async () => {
    const before = (await signingKeys(stores.knex, 'citizen')).map((k) => k.kid);
    const { retired, created } = await rotateSigningKeys(stores.knex, 'citizen', 3600);
    expect(retired.sort()).toEqual([...before].sort());
    const after = (await signingKeys(stores.knex, 'citizen')).map((k) => k.kid);
    expect(after).toHaveLength(4);
    expect(after.slice(0, 2).sort()).toEqual([...created].sort());
    expect(after.slice(2).sort()).toEqual([...before].sort());

    // Rotated with no window, the keys just made drop out at once; the first ones are still inside theirs.
    const second = await rotateSigningKeys(stores.knex, 'citizen', 0);
    const later = (await signingKeys(stores.knex, 'citizen')).map((k) => k.kid);
    expect(later.slice(0, 2).sort()).toEqual([...second.created].sort());
    expect(later.slice(2).sort()).toEqual([...before].sort());
    for (const kid of created) expect(later).not.toContain(kid);
  });

  it('publish only the public half', async () => {
    const jwks = publicJwks(await signingKeys(stores.knex, 'enterprise'));
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).not.toHaveProperty('p');
      expect(key.kid).toBeDefined();
    }
  });
});
