import type { Migration } from '@tamkeen/db';

/**
 * A payment's settlement (the payout that paid it out and the day it reached the bank) is no
 * longer written on the payment: it is what its charge's settlement line says, read through the
 * view `payment_settlements` — the line's payout, and that payout's arrival date (or the report's
 * effective date while the payout is not stored), unless the payout failed or was cancelled. So a
 * day of a million payments is settled by storing its lines, not by rewriting a million payments
 * and every one of their indexes; and a payout that fails later unsettles its payments at once.
 * (`line_id`: the line it comes from. A payment charged twice has two rows; readers take one.)
 *
 * `settlement_lines.report_id`: the settlement report that first stored a line (null: the pull).
 * The lines' indexes that no query used (by created, by payout) are dropped, and the refund one
 * keeps only the lines of a refund: each index is written for each of a day's million lines.
 */
export const paymentSettlements: Migration = {
  name: '0013_payment_settlements',
  async up(knex) {
    await knex.raw('drop index payments_unsettled');
    await knex.raw('drop index payments_by_settled_date');
    await knex.raw('alter table payments drop column payout_id, drop column settled_date');
    await knex.raw('alter table settlement_lines add column report_id uuid');
    await knex.raw('drop index settlement_lines_created_index');
    await knex.raw('drop index settlement_lines_payout_id_index');
    await knex.raw('drop index settlement_lines_refund_id_index');
    await knex.raw('create index settlement_lines_by_refund on settlement_lines (refund_id) where refund_id is not null');
    await knex.raw(`
      create view payment_settlements as
      select l.payment_id, l.payout_id, coalesce(po.arrival_date, l.payout_date) as settled_date, l.id as line_id
        from settlement_lines l left join payouts po on po.id = l.payout_id
       where l.payment_id is not null and l.reporting_category = 'charge' and l.payout_id is not null
         and coalesce(po.status, 'paid') not in ('failed', 'canceled') and coalesce(po.arrival_date, l.payout_date) is not null`);
  },
  async down(knex) {
    await knex.raw('alter table payments add column payout_id text, add column settled_date date');
    await knex.raw(`update payments p set payout_id = s.payout_id, settled_date = s.settled_date from (select distinct on (payment_id) * from payment_settlements order by payment_id, line_id) s where s.payment_id = p.id`);
    await knex.raw('drop view payment_settlements');
    await knex.raw('drop index settlement_lines_by_refund');
    await knex.raw('create index settlement_lines_refund_id_index on settlement_lines (refund_id)');
    await knex.raw('create index settlement_lines_payout_id_index on settlement_lines (payout_id)');
    await knex.raw('create index settlement_lines_created_index on settlement_lines (created)');
    await knex.raw('alter table settlement_lines drop column report_id');
    await knex.raw('create index payments_by_settled_date on payments (organisation_id, settled_date)');
    await knex.raw(`create index payments_unsettled on payments (updated_at) where status = 'succeeded' and settled_date is null`);
  },
};
