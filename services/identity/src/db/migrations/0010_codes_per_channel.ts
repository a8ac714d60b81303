import type { Migration } from '@tamkeen/db';

/**
 * One-time codes per channel: a subject's login code by SMS and its code by e-mail are two rows,
 * each sent at most once a minute, so a citizen may switch channel at once and a code sent one way
 * never passes on the other. Locks still span channels (one-time-codes.ts): five wrong tries on
 * either stop both.
 */
export const codesPerChannel: Migration = {
  name: '0010_codes_per_channel',
  async up(knex) {
    await knex.raw('alter table one_time_codes drop constraint one_time_codes_pkey');
    await knex.raw('alter table one_time_codes add constraint one_time_codes_pkey primary key (subject, purpose, channel)');
  },
  async down(knex) {
    await knex.raw(`delete from one_time_codes where channel <> 'sms'`);
    await knex.raw('alter table one_time_codes drop constraint one_time_codes_pkey');
    await knex.raw('alter table one_time_codes add constraint one_time_codes_pkey primary key (subject, purpose)');
  },
};
