import type { Migration } from '@tamkeen/db';

/**
 * The issuers' signing keys, in PostgreSQL (never a development keystore). The newest active key of
 * an issuer signs; a rotated-out key stays published (in the JWKS) until `publish_until`, when
 * every token it signed has expired.
 */
export const signingKeys: Migration = {
  name: '0002_signing_keys',
  async up(knex) {
    await knex.schema.createTable('signing_keys', (t) => {
      t.text('kid').primary();
      t.text('issuer').notNullable();
      t.text('alg').notNullable();
      t.jsonb('private_jwk').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('retired_at', { useTz: true });
      t.timestamp('publish_until', { useTz: true });
      t.index(['issuer', 'created_at'], 'signing_keys_issuer');
    });
    await knex.raw(`alter table signing_keys add constraint signing_keys_issuer_check check (issuer in ('citizen', 'enterprise', 'x-road'))`);
  },
  async down(knex) {
    await knex.schema.dropTable('signing_keys');
  },
};
