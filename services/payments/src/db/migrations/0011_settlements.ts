import type { Migration } from '@tamkeen/db';

/**
 * The PSP's settlements (settlements/): every balance transaction the PSP reports — pulled from its
 * API or imported from its payout reconciliation report — as one settlement line, matched to our
 * payments, refunds, disputes and payouts.
 *
 * - `settlement_lines`: one row per PSP balance transaction (`txn_…`, the key: the same line from
 *   the pull and from a report is one line). `content_hash` is a hash of what both sources say of
 *   it (amounts, currency, category, dates, source): a line seen again with another hash is a
 *   `duplicate_line` exception and the first version stays. `match_status`: `pending` until matched
 *   (or while our record is not final), then `matched`, `mismatch` (matched; an amount or the fee
 *   differs: an exception was raised) or `unmatched` (no record of ours: an exception was raised).
 *   `payment_id`, `refund_id`, `dispute_id` are ours; `payout_id` the PSP's payout that paid it out.
 * - `settlement_cursors`: where each incremental pull got to (the newest `created` seen).
 * - `settlement_runs`: a lease per job, so that one pull runs at a time across instances.
 * - `settlement_reports`: each imported report file: its hash, its lines, who imported it.
 * - `payments.payout_id` / `settled_date`: the payout that paid a payment out and its arrival date.
 */
export const settlements: Migration = {
  name: '0011_settlements',
  async up(knex) {
    await knex.schema.createTable('settlement_lines', (t) => {
      t.text('id').primary();
      t.text('type');
      t.text('reporting_category').notNullable();
      t.bigInteger('amount').notNullable();
      t.bigInteger('fee').notNullable();
      t.bigInteger('net').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.timestamp('created', { useTz: true }).notNullable();
      t.timestamp('available_on', { useTz: true }).notNullable();
      t.text('description');
      t.text('source_id');
      t.text('psp_charge_id');
      t.text('psp_payment_intent_id');
      t.text('psp_refund_id');
      t.text('psp_dispute_id');
      t.text('payout_id');
      // The day the payout reaches the bank (the PSP's arrival date, or the report's automatic_payout_effective_at).
      t.date('payout_date');
      t.text('origin').notNullable();
      t.text('content_hash').notNullable();
      t.text('match_status').notNullable().defaultTo('pending');
      t.text('matched_by');
      t.uuid('payment_id');
      t.uuid('refund_id');
      t.uuid('dispute_id');
      t.text('organisation_id');
      t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('matched_at', { useTz: true });
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['payment_id']);
      t.index(['refund_id']);
      t.index(['payout_id']);
      t.index(['created']);
    });
    await knex.raw(`alter table settlement_lines add constraint settlement_lines_origin check (origin in ('pull', 'report'))`);
    await knex.raw(`alter table settlement_lines add constraint settlement_lines_match_status check (match_status in ('pending', 'matched', 'mismatch', 'unmatched'))`);
    await knex.raw(`alter table settlement_lines add constraint settlement_lines_net check (net = amount - fee)`);
    await knex.raw(`create index settlement_lines_pending on settlement_lines (id) where match_status = 'pending'`);

    await knex.schema.createTable('settlement_cursors', (t) => {
      t.text('name').primary();
      t.timestamp('last_created', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });

    await knex.schema.createTable('settlement_runs', (t) => {
      t.text('name').primary();
      t.timestamp('lease_until', { useTz: true });
      t.timestamp('last_started_at', { useTz: true });
      t.timestamp('last_finished_at', { useTz: true });
    });

    await knex.schema.createTable('settlement_reports', (t) => {
      t.uuid('id').primary();
      t.text('sha256').notNullable();
      t.integer('lines').notNullable();
      t.integer('new_lines').notNullable();
      t.text('imported_by').notNullable();
      t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['sha256']);
    });

    await knex.schema.alterTable('payments', (t) => {
      t.text('payout_id');
      t.date('settled_date');
      // Reconciliation finds a payment by its charge's balance transaction.
      t.index(['psp_balance_transaction_id'], 'payments_by_balance_transaction');
      t.index(['organisation_id', 'settled_date'], 'payments_by_settled_date');
    });
    // The missing-settlement check looks at succeeded payments not settled yet.
    await knex.raw(`create index payments_unsettled on payments (updated_at) where status = 'succeeded' and settled_date is null`);
  },
  async down(knex) {
    await knex.raw('drop index payments_unsettled');
    await knex.schema.alterTable('payments', (t) => {
      t.dropIndex(['organisation_id', 'settled_date'], 'payments_by_settled_date');
      t.dropIndex(['psp_balance_transaction_id'], 'payments_by_balance_transaction');
      t.dropColumn('settled_date');
      t.dropColumn('payout_id');
    });
    await knex.schema.dropTable('settlement_reports');
    await knex.schema.dropTable('settlement_runs');
    await knex.schema.dropTable('settlement_cursors');
    await knex.schema.dropTable('settlement_lines');
  },
};
