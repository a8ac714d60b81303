import type { Migration } from '@tamkeen/db';

/**
 * Refunds of succeeded payments (refunds/refund-repository.ts). A refund is `submitted` from the
 * moment its amount is reserved (under the payment's row lock, so that refunds never add up to
 * more than was paid) until the PSP's answer makes it `succeeded` or `failed`; a failed refund
 * gives its amount back. The ministry's Idempotency-Key and a hash of its request are kept as for
 * payments: unique per organisation.
 */
export const refunds: Migration = {
  name: '0004_refunds',
  async up(knex) {
    await knex.schema.createTable('refunds', (t) => {
      t.uuid('id').primary();
      t.uuid('payment_id').notNullable().references('id').inTable('payments');
      t.text('organisation_id').notNullable();
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('reason');
      t.text('status').notNullable().defaultTo('submitted');
      t.text('psp_refund_id').unique();
      // Why the PSP refused it (its error code), for a failed refund.
      t.text('failure_code');
      t.text('idempotency_key').notNullable();
      t.text('request_hash').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['payment_id', 'created_at', 'id'], 'refunds_by_payment');
      t.unique(['organisation_id', 'idempotency_key'], { indexName: 'refunds_idempotency_key' });
    });
    await knex.raw(`alter table refunds add constraint refunds_amount check (amount > 0)`);
    await knex.raw(`alter table refunds add constraint refunds_currency check (currency in ('ILS', 'USD', 'JOD'))`);
    await knex.raw(`alter table refunds add constraint refunds_status check (status in ('submitted', 'succeeded', 'failed'))`);
  },
  async down(knex) {
    await knex.schema.dropTable('refunds');
  },
};
