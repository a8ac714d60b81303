import type { Migration } from '@tamkeen/db';

/**
 * The month-end close: the ledger is closed through a day (`ledger_close.closed_through`, one
 * row; it only moves forward), and no journal entry dated on or before it can be written — the
 * database refuses it, whatever the code does. postJournalEntry dates a movement that happens
 * later (a late refund, a correction) in the first open day instead (ledger/ledger.ts).
 * `ledger_closes` keeps each close: which month, through which day, who, when (append-only).
 */
export const ledgerClose: Migration = {
  name: '0012_ledger_close',
  async up(knex) {
    await knex.schema.createTable('ledger_close', (t) => {
      t.boolean('singleton').primary().defaultTo(true);
      t.date('closed_through').notNullable();
    });
    await knex.raw(`alter table ledger_close add constraint ledger_close_one_row check (singleton)`);
    await knex.schema.createTable('ledger_closes', (t) => {
      t.bigIncrements('id').primary();
      t.text('period').notNullable().unique();
      t.date('closed_through').notNullable();
      t.text('closed_by').notNullable();
      t.timestamp('closed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw(`
      create function ledger_close_forward() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' or new.closed_through < old.closed_through then
          raise exception 'a closed period cannot be reopened: the ledger is closed through %', old.closed_through using errcode = '23514';
        end if;
        return new;
      end $$;
      create trigger ledger_close_forward before update or delete on ledger_close
        for each row execute function ledger_close_forward();
      create trigger ledger_closes_immutable before update or delete on ledger_closes
        for each row execute function ledger_immutable();

      create function journal_entries_open_period() returns trigger language plpgsql as $$
      declare
        through date;
      begin
        select closed_through into through from ledger_close;
        if through is not null and new.effective_date <= through then
          raise exception 'the ledger is closed through %: an entry dated % cannot be written (date it in an open period)', through, new.effective_date using errcode = '23514';
        end if;
        return new;
      end $$;
      create trigger journal_entries_open_period before insert on journal_entries
        for each row execute function journal_entries_open_period();
    `);
  },
  async down(knex) {
    await knex.raw('drop trigger if exists journal_entries_open_period on journal_entries; drop function if exists journal_entries_open_period();');
    await knex.schema.dropTable('ledger_closes');
    await knex.schema.dropTable('ledger_close');
    await knex.raw('drop function if exists ledger_close_forward();');
  },
};
