import type { Migration } from '@tamkeen/db';

/**
 * The double-entry ledger every later payments feature posts to. Invariants enforced by the
 * database itself, so no code path can break them:
 * - amounts are integers of minor units with an ISO 4217 currency, never floats;
 * - each journal entry's postings sum to zero per currency (checked at commit);
 * - an entry is written at most once per source event (unique source);
 * - entries and postings are immutable: corrections are new, reversing entries.
 */
export const ledger: Migration = {
  name: '0001_ledger',
  async up(knex) {
    await knex.schema.createTable('ledger_accounts', (t) => {
      t.bigIncrements('id').primary();
      t.text('code').notNullable();
      t.text('name').notNullable();
      t.text('kind').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.text('organisation_id');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['code', 'currency']);
    });
    await knex.raw(`alter table ledger_accounts add constraint ledger_accounts_kind
      check (kind in ('asset', 'liability', 'equity', 'revenue', 'expense'))`);
    await knex.raw(`alter table ledger_accounts add constraint ledger_accounts_currency check (currency ~ '^[A-Z]{3}$')`);

    await knex.schema.createTable('journal_entries', (t) => {
      t.bigIncrements('id').primary();
      t.text('source_type').notNullable();
      t.text('source_id').notNullable();
      t.text('description').notNullable();
      t.date('effective_date').notNullable();
      t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.bigInteger('reverses_entry_id').references('id').inTable('journal_entries');
      t.unique(['source_type', 'source_id']);
    });

    await knex.schema.createTable('postings', (t) => {
      t.bigIncrements('id').primary();
      t.bigInteger('entry_id').notNullable().references('id').inTable('journal_entries');
      t.bigInteger('account_id').notNullable().references('id').inTable('ledger_accounts');
      t.bigInteger('amount').notNullable();
      t.specificType('currency', 'char(3)').notNullable();
      t.index(['entry_id']);
      t.index(['account_id']);
    });
    await knex.raw('alter table postings add constraint postings_nonzero check (amount <> 0)');

    await knex.raw(`
      create function postings_balance_check() returns trigger language plpgsql as $$
      declare
        unbalanced record;
      begin
        select currency, sum(amount) as total into unbalanced
          from postings where entry_id = new.entry_id
          group by currency having sum(amount) <> 0 limit 1;
        if found then
          raise exception 'journal entry % does not balance in %: postings sum to %',
            new.entry_id, unbalanced.currency, unbalanced.total using errcode = '23514';
        end if;
        return null;
      end $$;
      create constraint trigger postings_balance after insert on postings
        deferrable initially deferred for each row execute function postings_balance_check();

      create function postings_currency_check() returns trigger language plpgsql as $$
      begin
        if (select currency from ledger_accounts where id = new.account_id) <> new.currency then
          raise exception 'posting currency % differs from its account''s', new.currency using errcode = '23514';
        end if;
        return new;
      end $$;
      create trigger postings_currency before insert on postings
        for each row execute function postings_currency_check();

      create function ledger_immutable() returns trigger language plpgsql as $$
      begin
        raise exception '% is immutable: post a reversing entry instead', tg_table_name;
      end $$;
      create trigger journal_entries_immutable before update or delete on journal_entries
        for each row execute function ledger_immutable();
      create trigger postings_immutable before update or delete on postings
        for each row execute function ledger_immutable();
      create trigger journal_entries_no_truncate before truncate on journal_entries
        for each statement execute function ledger_immutable();
      create trigger postings_no_truncate before truncate on postings
        for each statement execute function ledger_immutable();
    `);
  },
  async down(knex) {
    await knex.schema.dropTable('postings');
    await knex.schema.dropTable('journal_entries');
    await knex.schema.dropTable('ledger_accounts');
    await knex.raw('drop function if exists postings_balance_check(); drop function if exists postings_currency_check(); drop function if exists ledger_immutable();');
  },
};
