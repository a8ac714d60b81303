import type { Migration } from '@tamkeen/db';

/**
 * One-time codes: six digits, kept only as an HMAC (a leaked table gives no codes), valid five
 * minutes; five wrong tries lock the account's codes for 15 minutes; a new code at most once a
 * minute. One row per (account, purpose): a new code replaces the last.
 */
export const oneTimeCodes: Migration = {
  name: '0005_one_time_codes',
  async up(knex) {
    await knex.schema.createTable('one_time_codes', (t) => {
      t.uuid('account_id').notNullable().references('citizen_accounts.id').onDelete('CASCADE');
      t.text('purpose').notNullable();
      t.text('channel').notNullable();
      t.text('code_hmac').notNullable();
      t.timestamp('sent_at', { useTz: true }).notNullable();
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.integer('wrong_tries').notNullable().defaultTo(0);
      t.timestamp('locked_until', { useTz: true });
      t.timestamp('used_at', { useTz: true });
      t.primary(['account_id', 'purpose']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable('one_time_codes');
  },
};
