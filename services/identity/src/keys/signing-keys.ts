import type { Knex } from '@tamkeen/db';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

export type KeyOwner = 'citizen' | 'enterprise' | 'x-road';

/** Each issuer signs ID tokens with RS256 (every client library accepts it) and access tokens with ES256. */
const ALGORITHMS = ['ES256', 'RS256'] as const;

interface KeyRow {
  kid: string;
  alg: string;
  private_jwk: JWK;
}

async function newKey(trx: Knex.Transaction, owner: KeyOwner, alg: (typeof ALGORITHMS)[number]) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const kid = `${owner}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  await trx('signing_keys').insert({ kid, issuer: owner, alg, private_jwk: jwk });
}

/**
 * The keys `owner` publishes, newest first (the newest of each algorithm signs): its active keys,
 * made on first use, and rotated-out keys still inside their publication window. Private JWKs.
 */
export async function signingKeys(knex: Knex, owner: KeyOwner, algorithms: readonly (typeof ALGORITHMS)[number][] = ALGORITHMS): Promise<JWK[]> {
  return knex.transaction(async (trx) => {
    // Instances starting together make one key, not one each.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`signing keys ${owner}`]);
    const active = await trx('signing_keys').where({ issuer: owner }).whereNull('retired_at').select<KeyRow[]>('alg');
    for (const alg of algorithms) if (!active.some((k) => k.alg === alg)) await newKey(trx, owner, alg);
    return publishedKeys(trx, owner);
  });
}

/** What `owner` publishes now, newest first, without making any: the keys its tokens are verified with. Private JWKs. */
export async function publishedKeys(knex: Knex | Knex.Transaction, owner: KeyOwner): Promise<JWK[]> {
  const rows = await knex('signing_keys')
    .where({ issuer: owner })
    .andWhere((q) => q.whereNull('retired_at').orWhere('publish_until', '>', knex.fn.now()))
    .orderBy([{ column: 'retired_at', order: 'desc', nulls: 'first' }, { column: 'created_at', order: 'desc' }])
    .select<KeyRow[]>('kid', 'alg', 'private_jwk');
  return rows.map((row) => row.private_jwk);
}

/**
 * Rotation: new keys sign from the next start of the service; the old ones stay published for
 * `publishForS` seconds (longer than any token they signed lives), then drop out of the JWKS.
 */
export async function rotateSigningKeys(knex: Knex, owner: KeyOwner, publishForS: number): Promise<{ retired: string[]; created: string[] }> {
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`signing keys ${owner}`]);
    const retired = await trx('signing_keys')
      .where({ issuer: owner })
      .whereNull('retired_at')
      .update({ retired_at: trx.fn.now(), publish_until: trx.raw(`now() + make_interval(secs => ?)`, [publishForS]) })
      .returning<Array<{ kid: string; alg: (typeof ALGORITHMS)[number] }>>(['kid', 'alg']);
    for (const { alg } of retired) await newKey(trx, owner, alg);
    const created = await trx('signing_keys').where({ issuer: owner }).whereNull('retired_at').pluck('kid');
    return { retired: retired.map((r) => r.kid), created };
  });
}

/** The public half of private JWKs (what a JWKS shows). */
export function publicJwks(keys: readonly JWK[]): { keys: JWK[] } {
  return { keys: keys.map(({ kty, crv, x, y, n, e, kid, alg, use }) => Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, kid, alg, use }).filter(([, v]) => v !== undefined)) as JWK) };
}
