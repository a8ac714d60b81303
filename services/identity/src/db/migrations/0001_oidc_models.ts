import type { Migration } from '@tamkeen/db';

/**
 * Storage for every oidc-provider model (sessions, grants, codes, tokens, interactions...), one
 * row per (kind, id), so that sessions and grants survive a restart and any instance can serve them.
 * The lookups oidc-provider's adapter interface needs each have an index; expired rows are swept.
 */
export const oidcModels: Migration = {
  name: '0001_oidc_models',
  async up(knex) {
    await knex.schema.createTable('oidc_models', (t) => {
      t.text('kind').notNullable();
      t.text('id').notNullable();
      t.jsonb('payload').notNullable();
      t.text('grant_id');
      t.text('user_code');
      t.text('uid');
      t.timestamp('expires_at', { useTz: true });
      t.timestamp('consumed_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.primary(['kind', 'id']);
      t.index(['grant_id'], 'oidc_models_grant_id');
      t.index(['expires_at'], 'oidc_models_expires_at');
    });
    await knex.raw('create unique index oidc_models_user_code on oidc_models (kind, user_code) where user_code is not null');
    await knex.raw('create unique index oidc_models_uid on oidc_models (kind, uid) where uid is not null');
  },
  async down(knex) {
    await knex.schema.dropTable('oidc_models');
  },
};
