import type { Knex } from '@tamkeen/db';

/** A month, YYYY-MM. */
export type Period = string;

export interface Close {
  period: Period;
  closedThrough: string;
  closedBy: string;
  closedAt: Date;
}

/** What closing a month came to. */
export type Closed = { outcome: 'closed' | 'already'; close: Close; closedThrough: string } | { outcome: 'not ended'; lastDay: string } | { outcome: 'out of order'; closedThrough: string };

/** The last day of a month (YYYY-MM-DD). */
export function lastDayOf(period: Period): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

const toClose = (r: { period: string; closed_through: string; closed_by: string; closed_at: Date }): Close => ({ period: r.period, closedThrough: r.closed_through, closedBy: r.closed_by, closedAt: r.closed_at });

/**
 * The ledger's month-end close. Closing a month freezes the ledger through its last day: the
 * database refuses any entry dated on or before it (migration 0012), and postJournalEntry dates
 * later movements in the first open day. Months close in order, each once, only once they have
 * ended (by `today`, the ledger's day); a close is never undone.
 */
export function ledgerCloses(knex: Knex) {
  return {
    /** The day the ledger is closed through; undefined while nothing is closed. */
    async closedThrough(): Promise<string | undefined> {
      const row = await knex('ledger_close').first<{ closed_through: string } | undefined>(knex.raw('closed_through::text as closed_through'));
      return row?.closed_through;
    },

    async list(): Promise<Close[]> {
      const rows = await knex('ledger_closes').orderBy('id').select('period', knex.raw('closed_through::text as closed_through'), 'closed_by', 'closed_at');
      return rows.map(toClose);
    },

    /** Closes `period` (YYYY-MM) for `closedBy`, on `today` (YYYY-MM-DD, the ledger's day). */
    async close(period: Period, closedBy: string, today: string): Promise<Closed> {
      const lastDay = lastDayOf(period);
      if (today <= lastDay) return { outcome: 'not ended', lastDay };
      return knex.transaction(async (trx) => {
        // One close at a time: the row (or, before the first close, the table) is locked.
        await trx.raw('lock table ledger_close in share row exclusive mode');
        const earlier = await trx('ledger_closes').where({ period }).first(['period', trx.raw('closed_through::text as closed_through'), 'closed_by', 'closed_at']);
        const current = (await trx('ledger_close').first<{ closed_through: string } | undefined>(trx.raw('closed_through::text as closed_through')))?.closed_through;
        if (earlier) return { outcome: 'already', close: toClose(earlier), closedThrough: current ?? lastDay };
        if (current !== undefined && current > lastDay) return { outcome: 'out of order', closedThrough: current };
        await trx('ledger_close').insert({ singleton: true, closed_through: lastDay }).onConflict('singleton').merge(['closed_through']);
        const [row] = await trx('ledger_closes').insert({ period, closed_through: lastDay, closed_by: closedBy }).returning(['period', trx.raw('closed_through::text as closed_through'), 'closed_by', 'closed_at']);
        return { outcome: 'closed', close: toClose(row), closedThrough: lastDay };
      });
    },
  };
}
