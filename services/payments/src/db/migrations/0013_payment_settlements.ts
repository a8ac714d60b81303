import type { Migration } from '@tamkeen/db';

/**
 * A payment's settlement (the payout that paid it out and the day it reached the bank) in a table
 * of its own, `payment_settlements`, one row per settled payment, instead of two columns of
 * `payments`: settling a day of a million payments then inserts a million narrow rows (two
 * indexes) rather than rewriting a million payments and every one of their indexes (an indexed
 * column changed, so no update was HOT). The payments API reads it joined (`settled_date`,
 * `payout_id`), and lists by it.
 *
 * No foreign key to payments: its check locks each payment row (FOR KEY SHARE writes the row's
 * lock), which doubled the cost of settling a day; a settlement is only ever made from a line
 * matched to a payment, and payments are never deleted.
 *
 * `settlement_lines.report_id`: the settlement report that first stored a line (null: the pull),
 * so that an import settles its own lines in one statement. The lines' indexes that no query used
 * (by created, by payout) are dropped, and the refund one keeps only the lines of a refund: each
 * index is written for each of a day's million lines.
 */
export const paymentSettlements: Migration = {
  name: '0013_payment_settlements',
  async up(knex) {
    await knex.raw(`
      create table payment_settlements (
        payment_id uuid primary key,
        payout_id text not null,
        settled_date date not null,
        settled_at timestamptz not null default now()
      )`);
    await knex.raw('create index payment_settlements_by_date on payment_settlements (settled_date, payment_id)');
    await knex.raw('insert into payment_settlements (payment_id, payout_id, settled_date) select id, payout_id, settled_date from payments where settled_date is not null and payout_id is not null');
    await knex.raw('drop index payments_unsettled');
    await knex.raw('drop index payments_by_settled_date');
    await knex.raw('alter table payments drop column payout_id, drop column settled_date');
    await knex.raw('alter table settlement_lines add column report_id uuid');
    await knex.raw('drop index settlement_lines_created_index');
    await knex.raw('drop index settlement_lines_payout_id_index');
    await knex.raw('drop index settlement_lines_refund_id_index');
    await knex.raw('create index settlement_lines_by_refund on settlement_lines (refund_id) where refund_id is not null');
  },
  async down(knex) {
    await knex.raw('drop index settlement_lines_by_refund');
    await knex.raw('create index settlement_lines_refund_id_index on settlement_lines (refund_id)');
    await knex.raw('create index settlement_lines_payout_id_index on settlement_lines (payout_id)');
    await knex.raw('create index settlement_lines_created_index on settlement_lines (created)');
    await knex.raw('alter table settlement_lines drop column report_id');
    await knex.raw('alter table payments add column payout_id text, add column settled_date date');
    await knex.raw('update payments p set payout_id = s.payout_id, settled_date = s.settled_date from payment_settlements s where s.payment_id = p.id');
    await knex.raw('create index payments_by_settled_date on payments (organisation_id, settled_date)');
    await knex.raw(`create index payments_unsettled on payments (updated_at) where status = 'succeeded' and settled_date is null`);
    await knex.raw('drop table payment_settlements');
  },
};
