import type { Migration } from '@tamkeen/db';

/**
 * One-time codes serve enrolment too, before any account exists: they belong to a `subject` (an
 * account id, or an enrolment), no longer only to an account.
 */
export const codesForAnySubject: Migration = {
  name: '0006_codes_for_any_subject',
  async up(knex) {
    await knex.raw('alter table one_time_codes drop constraint if exists one_time_codes_account_id_foreign');
    await knex.raw('alter table one_time_codes alter column account_id type text using account_id::text');
    await knex.raw('alter table one_time_codes rename column account_id to subject');
  },
  async down(knex) {
    await knex.raw('alter table one_time_codes rename column subject to account_id');
    await knex.raw('delete from one_time_codes where account_id !~ $re$^[0-9a-f-]{36}$$re$');
    await knex.raw('alter table one_time_codes alter column account_id type uuid using account_id::uuid');
  },
};
