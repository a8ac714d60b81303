import type { Migration } from '@tamkeen/db';

/**
 * Organisations (ministries and businesses) and their OIDC clients: relying parties and machine
 * clients. A client's `metadata` is its oidc-provider client metadata (redirect URIs, grant types,
 * allowed scopes...).
 */
export const organisationsAndClients: Migration = {
  name: '0003_organisations_and_clients',
  async up(knex) {
    await knex.schema.createTable('organisations', (t) => {
      t.text('id').primary();
      t.text('name_ar').notNullable();
      t.text('name_en').notNullable();
      t.text('kind').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw(`alter table organisations add constraint organisations_kind check (kind in ('ministry', 'business'))`);
    await knex.schema.createTable('oidc_clients', (t) => {
      t.text('client_id').primary();
      t.text('issuer').notNullable();
      t.text('organisation_id').notNullable().references('organisations.id');
      t.text('name').notNullable();
      t.jsonb('metadata').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id'], 'oidc_clients_organisation');
    });
    await knex.raw(`alter table oidc_clients add constraint oidc_clients_issuer check (issuer in ('citizen', 'enterprise'))`);
  },
  async down(knex) {
    await knex.schema.dropTable('oidc_clients');
    await knex.schema.dropTable('organisations');
  },
};
