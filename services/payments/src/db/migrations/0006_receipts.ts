import type { Migration } from '@tamkeen/db';

/**
 * Receipts to citizens, through the notifications service, by a transactional outbox of their own:
 * one row per channel (`sms`, `email`) a succeeded payment has a contact for, written in the
 * transaction that moves it to succeeded (receipts/receipt-queue.ts), so a success cannot commit
 * without its receipts. The relay (receipts/receipt-relay.ts) sends each row with its id as the
 * Idempotency-Key and keeps it until it is `sent` (with the notification's id), `failed` (refused
 * for good, or attempts exhausted: the dead letters) or `skipped` (receipts not configured when it
 * was due). At most one receipt per payment and channel, whatever races.
 */
export const receipts: Migration = {
  name: '0006_receipts',
  async up(knex) {
    await knex.schema.createTable('receipts', (t) => {
      t.uuid('id').primary();
      t.uuid('payment_id').notNullable().references('id').inTable('payments');
      t.text('channel').notNullable();
      // The payment's e-mail address or E.164 number when it succeeded.
      t.text('address').notNullable();
      t.text('language').notNullable();
      t.text('status').notNullable().defaultTo('pending');
      t.integer('attempts').notNullable().defaultTo(0);
      t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.uuid('notification_id');
      t.text('last_error');
      // In the transaction of the success: the receipt's date.
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('sent_at', { useTz: true });
      t.unique(['payment_id', 'channel'], { indexName: 'receipts_one_per_channel' });
    });
    await knex.raw(`alter table receipts add constraint receipts_channel check (channel in ('sms', 'email'))`);
    await knex.raw(`alter table receipts add constraint receipts_language check (language in ('ar', 'en', 'ar+en'))`);
    await knex.raw(`alter table receipts add constraint receipts_status check (status in ('pending', 'sent', 'failed', 'skipped'))`);
    await knex.raw(`alter table receipts add constraint receipts_sent_with_notification check (status <> 'sent' or notification_id is not null)`);
    // The relay's question: which rows are due.
    await knex.raw(`create index receipts_due on receipts (next_attempt_at) where status = 'pending'`);
  },
  async down(knex) {
    await knex.schema.dropTable('receipts');
  },
};
