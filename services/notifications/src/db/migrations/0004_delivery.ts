import type { Migration } from '@tamkeen/db';

/** What sending did: the provider's id for the message (its callbacks name it), tries and the last error. */
export const delivery: Migration = {
  name: '0004_delivery',
  async up(knex) {
    await knex.schema.alterTable('notifications', (t) => {
      t.text('provider_reference');
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('last_error');
      t.timestamp('sent_at', { useTz: true });
      t.timestamp('completed_at', { useTz: true });
    });
    await knex.raw('create unique index notifications_provider_reference on notifications (provider_reference) where provider_reference is not null');
  },
  async down(knex) {
    await knex.schema.alterTable('notifications', (t) => {
      for (const column of ['provider_reference', 'attempts', 'last_error', 'sent_at', 'completed_at']) t.dropColumn(column);
    });
  },
};
