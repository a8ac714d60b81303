import type { Migration } from '@tamkeen/db';

/**
 * The treasury's bank statements (camt.053, MT940: statements/), and which bank credits paid which
 * PSP payouts.
 *
 * - `bank_statements`: one row per statement imported, whatever its file. It is the statement
 *   `statement_id` (camt Stmt/Id, MT940 :20:) of `account` (a TREASURY_ACCOUNTS entry), number
 *   `sequence` (camt ElctrncSeqNb/LglSeqNb, MT940 :28C:; '' when none), opening on
 *   `opening_date`: that is unique, because banks reuse MT940 :20: (`STARTUMSE` every day) and some
 *   leave :28C: at 0, so the day tells them apart. `content_hash` (SHA-256 of the statement as
 *   read: header, entries in order, closing balance) tells a repeat of the same statement (nothing
 *   is added) from a different one under the same identity (refused).
 * - `bank_statement_entries`: its entries, in file order (`position`), amounts in minor units with
 *   their direction; bulk-inserted while the file streams, in the import's transaction.
 * - `bank_statement_matches`: one per match (a payout and the credit that paid it, a payout split
 *   over several credits, several payouts paid by one credit), with the rule that made it; the
 *   credits point at it (`bank_statement_entries.match_id`), the payouts through
 *   `bank_statement_matched_payouts` (a payout is matched once).
 */
export const bankStatements: Migration = {
  name: '0010_bank_statements',
  async up(knex) {
    await knex.schema.createTable('bank_statements', (t) => {
      t.uuid('id').primary();
      t.text('format').notNullable();
      t.text('format_version');
      t.text('account').notNullable();
      t.text('account_name').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('statement_id').notNullable();
      t.text('sequence').notNullable().defaultTo('');
      // When the bank made it (as written in the file); the period it covers.
      t.text('bank_created_at');
      t.date('from_date');
      t.date('to_date');
      t.bigInteger('opening_balance').notNullable();
      t.date('opening_date').notNullable();
      t.bigInteger('closing_balance');
      t.date('closing_date');
      t.integer('entry_count').notNullable().defaultTo(0);
      t.integer('credit_count').notNullable().defaultTo(0);
      t.bigInteger('credit_total').notNullable().defaultTo(0);
      t.integer('debit_count').notNullable().defaultTo(0);
      t.bigInteger('debit_total').notNullable().defaultTo(0);
      t.text('content_hash');
      t.text('imported_by').notNullable();
      t.timestamp('imported_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['account', 'statement_id', 'sequence', 'opening_date']);
      t.index(['imported_at', 'id']);
    });
    await knex.raw(`alter table bank_statements add constraint bank_statements_format check (format in ('camt.053', 'mt940'))`);

    await knex.schema.createTable('bank_statement_matches', (t) => {
      t.uuid('id').primary();
      t.text('rule').notNullable();
      t.text('shape').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.bigInteger('payout_total').notNullable();
      t.bigInteger('credit_total').notNullable();
      t.jsonb('details').notNullable().defaultTo('{}');
      t.timestamp('matched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw(`alter table bank_statement_matches add constraint bank_statement_matches_shape check (shape in ('one_to_one', 'one_to_many', 'many_to_one'))`);

    await knex.schema.createTable('bank_statement_entries', (t) => {
      t.bigIncrements('id').primary();
      t.uuid('statement_id').notNullable().references('id').inTable('bank_statements').onDelete('cascade');
      t.integer('position').notNullable();
      t.integer('line').notNullable();
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('direction').notNullable();
      t.text('status').notNullable();
      t.boolean('reversal').notNullable().defaultTo(false);
      t.date('booking_date');
      t.date('value_date');
      t.text('end_to_end_id');
      t.text('account_servicer_ref');
      t.text('customer_ref');
      t.text('remittance_info');
      t.text('additional_info');
      t.text('bank_transaction_code');
      t.uuid('match_id').references('id').inTable('bank_statement_matches');
      t.unique(['statement_id', 'position']);
    });
    await knex.raw(`
      alter table bank_statement_entries add constraint bank_statement_entries_amount check (amount >= 0);
      alter table bank_statement_entries add constraint bank_statement_entries_direction check (direction in ('credit', 'debit'));
      alter table bank_statement_entries add constraint bank_statement_entries_status check (status in ('booked', 'pending', 'info'));
      -- The credits still to be matched, by currency, amount and value date: what matching looks up.
      create index bank_statement_entries_unmatched_credits on bank_statement_entries (currency, amount, value_date)
        where direction = 'credit' and status = 'booked' and match_id is null;
      create index bank_statement_entries_match on bank_statement_entries (match_id) where match_id is not null;
    `);

    await knex.schema.createTable('bank_statement_matched_payouts', (t) => {
      t.text('payout_id').primary().references('id').inTable('payouts');
      t.uuid('match_id').notNullable().references('id').inTable('bank_statement_matches');
      t.index(['match_id']);
    });
  },
  async down(knex) {
    await knex.schema.dropTable('bank_statement_matched_payouts');
    await knex.schema.dropTable('bank_statement_entries');
    await knex.schema.dropTable('bank_statement_matches');
    await knex.schema.dropTable('bank_statements');
  },
};
