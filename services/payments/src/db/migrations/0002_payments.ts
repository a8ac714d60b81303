import type { Migration } from '@tamkeen/db';

/**
 * Payments and the history of their states. The database holds the rules that must never break:
 * amounts are positive integers of minor units in a currency the platform takes; a status is one
 * of the seven; the events of a payment are appended, never changed. Transitions themselves are
 * checked by the code under a row lock (payment-repository.ts), so racing events end in one outcome.
 */
export const payments: Migration = {
  name: '0002_payments',
  async up(knex) {
    await knex.schema.createTable('payments', (t) => {
      t.uuid('id').primary();
      t.text('organisation_id').notNullable();
      t.text('client_id').notNullable();
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('reference').notNullable();
      t.text('description').notNullable();
      t.text('return_url').notNullable();
      t.text('email');
      t.text('phone_number');
      t.jsonb('metadata').notNullable().defaultTo('{}');
      t.text('status').notNullable().defaultTo('created');
      t.text('psp_payment_intent_id').unique();
      t.text('paid_by');
      // The ministry's Idempotency-Key and a hash of its request: the same key and request get the
      // first answer, the same key with another request a 422.
      t.text('idempotency_key').notNullable();
      t.text('request_hash').notNullable();
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id', 'created_at', 'id'], 'payments_by_organisation');
      t.index(['organisation_id', 'reference'], 'payments_by_reference');
      t.unique(['organisation_id', 'idempotency_key'], { indexName: 'payments_idempotency_key' });
    });
    await knex.raw(`alter table payments add constraint payments_amount check (amount > 0)`);
    await knex.raw(`alter table payments add constraint payments_currency check (currency in ('ILS', 'USD', 'JOD'))`);
    await knex.raw(`alter table payments add constraint payments_status check (status in ('created', 'started', 'submitted', 'succeeded', 'failed', 'cancelled', 'expired'))`);
    // Expiry sweeps look for unfinished payments past their time.
    await knex.raw(`create index payments_to_expire on payments (expires_at) where status in ('created', 'started')`);

    await knex.schema.createTable('payment_events', (t) => {
      t.bigIncrements('id').primary();
      t.uuid('payment_id').notNullable().references('id').inTable('payments');
      t.text('event').notNullable();
      t.text('from_status');
      t.text('to_status').notNullable();
      t.jsonb('data').notNullable().defaultTo('{}');
      t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['payment_id', 'id']);
    });
    await knex.raw(`
      create function payment_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'payment events are never changed or deleted' using errcode = '42501';
      end $$`);
    await knex.raw(`create trigger payment_events_append_only before update or delete on payment_events for each row execute function payment_events_append_only()`);
    await knex.raw(`create trigger payment_events_no_truncate before truncate on payment_events for each statement execute function payment_events_append_only()`);
  },
  async down(knex) {
    await knex.schema.dropTable('payment_events');
    await knex.raw('drop function payment_events_append_only');
    await knex.schema.dropTable('payments');
  },
};
