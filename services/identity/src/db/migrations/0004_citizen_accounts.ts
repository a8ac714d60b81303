import type { Migration } from '@tamkeen/db';

/**
 * Citizens' accounts. `id` is the stable `sub` (never the national ID number); name and birthdate
 * are copied from the register at enrolment and refreshed at login; `register_checked_at` is when
 * the register last said the person is alive and the card valid.
 */
export const citizenAccounts: Migration = {
  name: '0004_citizen_accounts',
  async up(knex) {
    await knex.schema.createTable('citizen_accounts', (t) => {
      t.uuid('id').primary();
      t.specificType('national_id', 'char(9)').notNullable().unique();
      t.text('name_ar').notNullable();
      t.text('name_en').notNullable();
      t.date('birthdate').notNullable();
      t.text('phone_number');
      t.boolean('phone_number_verified').notNullable().defaultTo(false);
      t.text('email');
      t.boolean('email_verified').notNullable().defaultTo(false);
      t.text('password_hash').notNullable();
      t.text('totp_secret');
      t.timestamp('register_checked_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
  },
  async down(knex) {
    await knex.schema.dropTable('citizen_accounts');
  },
};
