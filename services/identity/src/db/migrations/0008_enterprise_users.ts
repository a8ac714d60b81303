import type { Migration } from '@tamkeen/db';

/**
 * The people of organisations (ministry staff, businesses' developers) who log in on the
 * enterprise issuer: an e-mail address (unique, kept lower-case), a password, an authenticator
 * app (mandatory: set up at the first login) and roles within their organisation.
 */
export const enterpriseUsers: Migration = {
  name: '0008_enterprise_users',
  async up(knex) {
    await knex.schema.createTable('enterprise_users', (t) => {
      t.uuid('id').primary();
      t.text('organisation_id').notNullable().references('organisations.id');
      t.text('email').notNullable().unique();
      t.text('name').notNullable();
      t.text('password_hash').notNullable();
      t.specificType('roles', 'text[]').notNullable().defaultTo('{}');
      t.timestamp('disabled_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id'], 'enterprise_users_organisation');
    });
    await knex.raw(`alter table enterprise_users add constraint enterprise_users_email_lower check (email = lower(email))`);
    await knex.raw(`alter table enterprise_users add constraint enterprise_users_roles check (roles <@ array['org_admin', 'finance_officer', 'developer']::text[])`);
  },
  async down(knex) {
    await knex.schema.dropTable('enterprise_users');
  },
};
