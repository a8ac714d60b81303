import type { Migration } from '@tamkeen/db';

/**
 * Notifications are written here before they are queued, so a lost Redis loses nothing: what was
 * created and not sent is found here and queued again. Statuses are GOV.UK Notify's.
 */
export const notifications: Migration = {
  name: '0001_notifications',
  async up(knex) {
    await knex.schema.createTable('notifications', (t) => {
      t.uuid('id').primary();
      t.text('organisation_id').notNullable();
      t.text('type').notNullable();
      t.text('lane').notNullable();
      t.text('status').notNullable().defaultTo('created');
      t.text('recipient').notNullable();
      t.text('reference');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id', 'created_at']);
    });
    await knex.raw(`alter table notifications add constraint notifications_type check (type in ('sms', 'email'))`);
    await knex.raw(`alter table notifications add constraint notifications_lane check (lane in ('priority', 'bulk'))`);
    await knex.raw(`alter table notifications add constraint notifications_status check (status in
      ('created', 'sending', 'sent', 'delivered', 'temporary-failure', 'permanent-failure', 'technical-failure'))`);
    // The recovery sweep reads what was created and not yet handed to a provider.
    await knex.raw(`create index notifications_unsent on notifications (created_at) where status = 'created'`);
  },
  async down(knex) {
    await knex.schema.dropTable('notifications');
  },
};
