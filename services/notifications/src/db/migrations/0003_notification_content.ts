import type { Migration } from '@tamkeen/db';

/**
 * What a notification says and how it was asked for: the words as personalised (so a resend is
 * identical and a template edit changes nothing already accepted), their SMS encoding and parts,
 * and the caller's Idempotency-Key with a hash of its request.
 */
export const notificationContent: Migration = {
  name: '0003_notification_content',
  async up(knex) {
    await knex.schema.alterTable('notifications', (t) => {
      t.text('client_id');
      t.text('language');
      t.text('subject');
      t.text('body');
      t.text('sms_encoding');
      t.integer('sms_parts');
      t.text('idempotency_key');
      t.text('request_hash');
    });
    await knex.raw(`alter table notifications add constraint notifications_language check (language in ('ar', 'en'))`);
    await knex.raw(
      'create unique index notifications_idempotency on notifications (organisation_id, idempotency_key) where idempotency_key is not null',
    );
    await knex.raw('create index notifications_reference on notifications (organisation_id, reference) where reference is not null');
  },
  async down(knex) {
    await knex.schema.alterTable('notifications', (t) => {
      for (const column of ['client_id', 'language', 'subject', 'body', 'sms_encoding', 'sms_parts', 'idempotency_key', 'request_hash']) t.dropColumn(column);
    });
  },
};
