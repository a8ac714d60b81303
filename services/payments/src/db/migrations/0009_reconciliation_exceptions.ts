import type { Migration } from '@tamkeen/db';

/**
 * Reconciliation's exceptions: whatever does not match (a settlement line and a payment whose
 * amounts differ, a charge we do not know, a payment with no settlement line after N days, a line
 * seen twice, a bank credit with no payout, a payout with no bank credit...) becomes one row, for
 * finance staff to work (reconciliation/exceptions.ts).
 *
 * - `dedupe_key` makes raising idempotent: a check run again over the same data raises nothing new.
 * - `reconciliation_exception_events` is the audit trail: who did what, when and why (raised,
 *   assigned, commented, resolved, approved...), append-only like the ledger (no update, delete or
 *   truncate).
 */
export const reconciliationExceptions: Migration = {
  name: '0009_reconciliation_exceptions',
  async up(knex) {
    await knex.schema.createTable('reconciliation_exceptions', (t) => {
      t.uuid('id').primary();
      t.text('kind').notNullable();
      t.text('status').notNullable().defaultTo('open');
      t.text('dedupe_key').notNullable().unique();
      t.text('organisation_id');
      t.specificType('currency', 'char(3)');
      // What was seen, and what was expected, in minor units (either may be unknown).
      t.bigInteger('amount');
      t.bigInteger('expected_amount');
      // What it is about: any of our payment, refund, dispute, the PSP's payout or balance transaction, a bank statement entry.
      t.uuid('payment_id');
      t.uuid('refund_id');
      t.uuid('dispute_id');
      t.text('payout_id');
      t.text('balance_transaction_id');
      t.text('bank_entry_id');
      t.jsonb('details').notNullable().defaultTo('{}');
      t.text('assigned_to');
      t.timestamp('raised_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('resolved_at', { useTz: true });
      t.index(['status', 'raised_at']);
      t.index(['kind']);
      t.index(['payment_id']);
      t.index(['payout_id']);
    });
    await knex.raw(`alter table reconciliation_exceptions add constraint reconciliation_exceptions_status
      check (status in ('open', 'assigned', 'awaiting_approval', 'resolved'))`);

    await knex.schema.createTable('reconciliation_exception_events', (t) => {
      t.bigIncrements('id').primary();
      t.uuid('exception_id').notNullable().references('id').inTable('reconciliation_exceptions');
      t.text('action').notNullable();
      // Who: a finance officer's subject, or `system` for the checks.
      t.text('actor').notNullable();
      t.text('reason');
      t.jsonb('data').notNullable().defaultTo('{}');
      t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['exception_id', 'id']);
    });
    await knex.raw(`
      create trigger reconciliation_exception_events_immutable before update or delete on reconciliation_exception_events
        for each row execute function ledger_immutable();
      create trigger reconciliation_exception_events_no_truncate before truncate on reconciliation_exception_events
        for each statement execute function ledger_immutable();
    `);
  },
  async down(knex) {
    await knex.schema.dropTable('reconciliation_exception_events');
    await knex.schema.dropTable('reconciliation_exceptions');
  },
};
