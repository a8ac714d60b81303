import type { Knex } from '@tamkeen/db';
import { ServiceUnavailable } from '@tamkeen/http-kit';
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import { publicJwks, publishedKeys, type KeyOwner } from './signing-keys.js';

type KeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The keys to verify `owner`'s own tokens with, for identity's own APIs: the keys its JWKS
 * publishes, read from PostgreSQL rather than fetched over HTTP from itself. Read again when a
 * token names a key not seen yet (another instance, restarted after a rotation, signs with a new
 * key; at most every `unknownKidCooldownMs`) and every `maxAgeMs` (rotated-out keys drop out).
 */
export function verificationKeys(knex: Knex, owner: KeyOwner, { maxAgeMs = 10 * 60_000, unknownKidCooldownMs = 30_000 } = {}): JWTVerifyGetKey {
  let current: { keySet: Promise<KeySet>; loadedAt: number } | undefined;
  const load = () => {
    const keySet = publishedKeys(knex, owner).then(
      (keys) => createLocalJWKSet(publicJwks(keys)),
      (error: unknown) => {
        current = undefined;
        throw new ServiceUnavailable('Access tokens cannot be verified right now; try again shortly.', { code: 'temporarily_unavailable', headers: { 'Retry-After': '5' }, cause: error });
      },
    );
    current = { keySet, loadedAt: Date.now() };
    return current;
  };
  return async (header, token) => {
    const { keySet, loadedAt } = current && Date.now() - current.loadedAt < maxAgeMs ? current : load();
    try {
      return await (await keySet)(header, token);
    } catch (error) {
      const unknownKid = (error as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKid || Date.now() - loadedAt < unknownKidCooldownMs) throw error;
      return (await load().keySet)(header, token);
    }
  };
}
