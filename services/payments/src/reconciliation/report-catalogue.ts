import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { ReportCatalogue } from '../finance/finance-seams.js';
import { dailyReceipts, dailyReceiptsCsv } from './daily-receipts.js';
import { dailyReceiptsView } from './report-routes.js';

/**
 * What the treasury's bank statements show received that day, per currency: booked credits dated
 * (value date, else booking date) that day that matching tied to PSP payouts (statements/).
 */
export async function receivedAtBank(db: Knex, date: string): Promise<Map<Currency, number>> {
  const rows = await db('bank_statement_entries')
    .whereNotNull('match_id')
    .where({ direction: 'credit', status: 'booked' })
    .whereRaw('coalesce(value_date, booking_date) = ?', [date])
    .groupBy('currency')
    .select<Array<{ currency: string; amount: string }>>('currency', db.raw('sum(amount) as amount'));
  return new Map(rows.map((r) => [r.currency.trim() as Currency, Number(r.amount)]));
}

/** The reports finance staff download, for the finance console (the platform's view). */
export function reportCatalogue(knex: Knex): ReportCatalogue {
  return {
    list: () => [{ id: 'daily-receipts', name: { ar: 'المقبوضات اليومية لكل جهة وعملة', en: 'Daily receipts by ministry and currency' }, formats: ['csv', 'json'] }],
    async download(id, day, format) {
      if (id !== 'daily-receipts') return undefined;
      const report = await dailyReceipts(knex, day, { receivedAtBank });
      return format === 'csv'
        ? { fileName: `daily-receipts-${day}.csv`, contentType: 'text/csv; charset=utf-8', body: dailyReceiptsCsv(report) }
        : { fileName: `daily-receipts-${day}.json`, contentType: 'application/json; charset=utf-8', body: JSON.stringify(dailyReceiptsView(report), null, 2) };
    },
  };
}
