import type { Migration } from '@tamkeen/db';

/**
 * Webhooks to ministries through a transactional outbox. `webhook_endpoints`: where a ministry
 * wants its status changes POSTed and the secret that signs them. `outbox`: one row per status
 * change, written in the transaction that made the change (payment-repository.ts), so that a
 * change cannot commit without its notice nor a notice exist without its change; the relay
 * (webhooks/outbox-relay.ts) posts the rows and keeps each until it is `delivered`, `failed`
 * (attempts exhausted: the dead letters) or `skipped` (no endpoint registered when it was due).
 */
export const webhooks: Migration = {
  name: '0003_webhooks',
  async up(knex) {
    await knex.schema.createTable('webhook_endpoints', (t) => {
      t.text('organisation_id').primary();
      t.text('url').notNullable();
      t.text('secret').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });

    await knex.schema.createTable('outbox', (t) => {
      t.uuid('id').primary();
      // The order of creation: a payment's notices are delivered in it.
      t.specificType('seq', 'bigint generated always as identity').notNullable().unique();
      t.uuid('payment_id').notNullable().references('id').inTable('payments');
      t.text('organisation_id').notNullable();
      t.text('event_type').notNullable();
      t.jsonb('payload').notNullable();
      t.text('status').notNullable().defaultTo('pending');
      t.integer('attempts').notNullable().defaultTo(0);
      t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.text('last_error');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('delivered_at', { useTz: true });
      t.index(['organisation_id', 'status', 'created_at', 'id'], 'outbox_by_organisation');
    });
    await knex.raw(`alter table outbox add constraint outbox_status check (status in ('pending', 'delivered', 'failed', 'skipped'))`);
    // The relay's two questions: which rows are due, and does a payment have an earlier one pending.
    await knex.raw(`create index outbox_due on outbox (next_attempt_at) where status = 'pending'`);
    await knex.raw(`create index outbox_pending_by_payment on outbox (payment_id, seq) where status = 'pending'`);
  },
  async down(knex) {
    await knex.schema.dropTable('outbox');
    await knex.schema.dropTable('webhook_endpoints');
  },
};
