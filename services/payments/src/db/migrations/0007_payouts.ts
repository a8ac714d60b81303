import type { Migration } from '@tamkeen/db';

/**
 * The PSP's fee on each payment, and the PSP's payouts into the treasury's bank account.
 *
 * `payments.psp_fee` / `psp_balance_transaction_id`: the card processing fee the PSP kept of a
 * succeeded payment and the charge's balance transaction (`txn_…`), written with the success when
 * the PSP's answer carried them (the same transaction posts the fee to the ledger, source
 * `psp_fee`); null while unknown. Reconciliation matches balance transactions to payments by the id.
 *
 * `payouts`: one row per PSP payout (`po_…`), from its `payout.*` events: what reached (or is to
 * reach) the treasury's bank account, when, and the references a bank statement shows for it, for
 * reconciliation against bank statements. Its status is the PSP's latest, never moved backwards
 * (payouts/payout-repository.ts); the ledger's entries are posted once per payout (sources
 * `payout` and `payout_failure`, the payout's id).
 */
export const payouts: Migration = {
  name: '0007_payouts',
  async up(knex) {
    await knex.schema.alterTable('payments', (t) => {
      t.bigInteger('psp_fee');
      t.text('psp_balance_transaction_id');
    });
    await knex.raw(`alter table payments add constraint payments_psp_fee check (psp_fee >= 0)`);

    await knex.schema.createTable('payouts', (t) => {
      t.text('id').primary();
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('status').notNullable();
      // The day the bank credits it (the PSP's arrival_date, a UTC date).
      t.date('arrival_date').notNullable();
      // When the PSP made it.
      t.timestamp('created', { useTz: true }).notNullable();
      t.boolean('automatic').notNullable();
      t.text('balance_transaction_id');
      t.text('destination');
      t.text('statement_descriptor');
      t.text('trace_id');
      t.text('failure_code');
      t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['arrival_date', 'currency']);
    });
    await knex.raw(`alter table payouts add constraint payouts_amount check (amount > 0)`);
    await knex.raw(`alter table payouts add constraint payouts_currency check (currency in ('ILS', 'USD', 'JOD'))`);
    await knex.raw(`alter table payouts add constraint payouts_status check (status in ('pending', 'in_transit', 'paid', 'failed', 'canceled'))`);
  },
  async down(knex) {
    await knex.schema.dropTable('payouts');
    await knex.raw('alter table payments drop constraint payments_psp_fee');
    await knex.schema.alterTable('payments', (t) => {
      t.dropColumn('psp_balance_transaction_id');
      t.dropColumn('psp_fee');
    });
  },
};
