import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKnex } from '@tamkeen/db';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { migrations } from '../db/migrations/index.js';
import { rotateSigningKeys, signingKeys } from './signing-keys.js';
import { verificationKeys } from './verification-keys.js';

let stores: TestStores;
beforeAll(async () => {
  stores = await openTestStores('identity verification keys', migrations);
});
afterAll(() => stores.close());

const signedWith = async (key: JWK) => new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: key.kid! }).sign(await importJWK(key, 'ES256'));
const es256 = (keys: JWK[]) => keys.find((k) => k.alg === 'ES256')!;

describe('verification keys (identity checking its own tokens)', () => {
  it('are the keys the issuer publishes, read again when a token names a key made since (another instance restarted after a rotation)', async () => {
    const keys = verificationKeys(stores.knex, 'enterprise', { unknownKidCooldownMs: 0 });
    const before = es256(await signingKeys(stores.knex, 'enterprise'));
    await jwtVerify(await signedWith(before), keys);
    await rotateSigningKeys(stores.knex, 'enterprise', 3600);
    const after = es256(await signingKeys(stores.knex, 'enterprise'));
    expect(after.kid).not.toBe(before.kid);
    await jwtVerify(await signedWith(after), keys);
    await jwtVerify(await signedWith(before), keys);
  });

  it('refuse a key nobody published', async () => {
    const keys = verificationKeys(stores.knex, 'enterprise');
    const foreign = { ...es256(await signingKeys(stores.knex, 'citizen')), kid: 'enterprise-forged' };
    await expect(jwtVerify(await signedWith(foreign), keys)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('answer 503 (not "bad token") when the database cannot be read', async () => {
    const unreachable = createKnex('postgres://postgres@127.0.0.1:1/tamkeen_identity');
    try {
      const token = await signedWith(es256(await signingKeys(stores.knex, 'enterprise')));
      await expect(jwtVerify(token, verificationKeys(unreachable, 'enterprise'))).rejects.toMatchObject({ status: 503 });
    } finally {
      await unreachable.destroy();
    }
  });
});
