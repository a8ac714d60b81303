import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { DISPUTES, MINISTRY_REVENUE, PSP_FEES, PSP_RECEIVABLE, TREASURY_BANK } from '../ledger/chart-of-accounts.js';

/** One ministry's receipts of one day in one currency, in minor units. */
export interface MinistryReceipts {
  organisationId: string;
  currency: Currency;
  /** What citizens paid (succeeded payments). */
  gross: number;
  /** What the PSP kept: card fees on those payments and dispute fees. */
  fees: number;
  /** Refunded to citizens. */
  refunds: number;
  /** Taken back by chargebacks, less what won disputes reinstated. */
  disputes: number;
  /** gross − fees − refunds − disputes: what the PSP owes for this ministry's card payments of the day. */
  net: number;
  /** Disputes lost: charged to the ministry's revenue. */
  disputesLost: number;
}

/** A currency's totals of the day, with what the PSP paid out and what the bank received. */
export interface CurrencyTotals extends Omit<MinistryReceipts, 'organisationId'> {
  /** Payouts into the treasury's bank account dated that day (less payouts the bank returned). */
  paidOut: number;
  /** Credits on the treasury's bank statements that day matched to payouts; null until bank statements are imported. */
  receivedAtBank: number | null;
}

export interface DailyReceipts {
  date: string;
  ministries: MinistryReceipts[];
  totals: CurrencyTotals[];
}

/** Where bank statement credits matched to payouts are counted, once bank statements are imported (statements/). */
export type ReceivedAtBank = (db: Knex, date: string) => Promise<Map<Currency, number>>;

/**
 * The day's receipts per ministry and currency, computed from the ledger alone: every entry dated
 * that day (its effective date, so a closed period's late movement counts on the day it was
 * posted to) whose source belongs to a ministry — a payment (gross), its card fee (fees), a refund,
 * a dispute's withdrawal (amount to disputes, fee to fees), its reinstatement when won, its loss
 * when lost. Each column is a sum of postings to one account, so the report ties out to the ledger
 * by construction: per currency, Σ gross = −Σ ministry revenue credits of payments, Σ fees = the
 * psp_fees postings, Σ net = psp_receivable's movement from those entries. `organisationId`
 * keeps one ministry (a ministry's own view).
 */
export async function dailyReceipts(db: Knex, date: string, { organisationId, receivedAtBank }: { organisationId?: string; receivedAtBank?: ReceivedAtBank } = {}): Promise<DailyReceipts> {
  const owner = `coalesce(p.organisation_id, pf.organisation_id, r.organisation_id, d.organisation_id)`;
  const sum = (condition: string) => `coalesce(sum(case when ${condition} then ps.amount end), 0)`;
  const revenue = `a.code like '${MINISTRY_REVENUE}:%'`;
  const query = db('journal_entries as e')
    .join('postings as ps', 'ps.entry_id', 'e.id')
    .join('ledger_accounts as a', 'a.id', 'ps.account_id')
    .leftJoin('payments as p', function joinPayment() {
      // CASE, not AND: the cast is evaluated only for that source type (PostgreSQL may evaluate an AND's sides in any order).
      this.on('p.id', '=', db.raw(`case when e.source_type = 'payment' then e.source_id::uuid end`));
    })
    .leftJoin('payments as pf', function joinFee() {
      this.on('e.source_type', '=', db.raw('?', ['psp_fee'])).andOn('pf.psp_balance_transaction_id', '=', 'e.source_id');
    })
    .leftJoin('refunds as r', function joinRefund() {
      this.on('r.id', '=', db.raw(`case when e.source_type = 'refund' then e.source_id::uuid end`));
    })
    .leftJoin('disputes as d', function joinDispute() {
      this.on('d.id', '=', db.raw(`case when e.source_type in ('dispute_withdrawal', 'dispute_won', 'dispute_lost') then e.source_id::uuid end`));
    })
    .where('e.effective_date', date)
    .whereIn('e.source_type', ['payment', 'psp_fee', 'refund', 'dispute_withdrawal', 'dispute_won', 'dispute_lost'])
    .whereRaw(`${owner} is not null`)
    .groupByRaw(`${owner}, ps.currency`)
    .orderByRaw(`ps.currency, ${owner}`)
    .select<Array<Record<string, string>>>(
      db.raw(`${owner} as organisation_id`),
      'ps.currency',
      db.raw(`-${sum(`e.source_type = 'payment' and ${revenue}`)} as gross`),
      db.raw(`${sum(`a.code = '${PSP_FEES}'`)} as fees`),
      db.raw(`${sum(`e.source_type = 'refund' and ${revenue}`)} as refunds`),
      db.raw(`${sum(`a.code = '${DISPUTES}' and e.source_type in ('dispute_withdrawal', 'dispute_won')`)} as disputes`),
      db.raw(`${sum(`a.code = '${PSP_RECEIVABLE}'`)} as net`),
      db.raw(`${sum(`e.source_type = 'dispute_lost' and ${revenue}`)} as disputes_lost`),
    );
  if (organisationId !== undefined) query.whereRaw(`${owner} = ?`, [organisationId]);
  const ministries = (await query).map((r): MinistryReceipts => ({
    organisationId: r.organisation_id!,
    currency: r.currency!.trim() as Currency,
    gross: Number(r.gross),
    fees: Number(r.fees),
    refunds: Number(r.refunds),
    disputes: Number(r.disputes),
    net: Number(r.net),
    disputesLost: Number(r.disputes_lost),
  }));

  // Payouts are the PSP's per currency, not per ministry: in the totals only (the platform's view).
  const paidOut = new Map<string, number>();
  if (organisationId === undefined) {
    const rows = await db('journal_entries as e')
      .join('postings as ps', 'ps.entry_id', 'e.id')
      .join('ledger_accounts as a', 'a.id', 'ps.account_id')
      .where('e.effective_date', date)
      .whereIn('e.source_type', ['payout', 'payout_failure'])
      .where('a.code', TREASURY_BANK)
      .groupBy('ps.currency')
      .select<Array<{ currency: string; amount: string }>>('ps.currency', db.raw('sum(ps.amount) as amount'));
    for (const r of rows) paidOut.set(r.currency.trim(), Number(r.amount));
  }
  const atBank = organisationId === undefined && receivedAtBank ? await receivedAtBank(db, date) : undefined;

  const totals = new Map<string, CurrencyTotals>();
  const totalOf = (currency: Currency) => {
    let total = totals.get(currency);
    if (!total) {
      total = { currency, gross: 0, fees: 0, refunds: 0, disputes: 0, net: 0, disputesLost: 0, paidOut: paidOut.get(currency) ?? 0, receivedAtBank: atBank ? (atBank.get(currency) ?? 0) : null };
      totals.set(currency, total);
    }
    return total;
  };
  for (const m of ministries) {
    const total = totalOf(m.currency);
    total.gross += m.gross;
    total.fees += m.fees;
    total.refunds += m.refunds;
    total.disputes += m.disputes;
    total.net += m.net;
    total.disputesLost += m.disputesLost;
  }
  for (const currency of paidOut.keys()) totalOf(currency as Currency);
  for (const currency of atBank?.keys() ?? []) totalOf(currency);
  return { date, ministries, totals: [...totals.values()].sort((a, b) => (a.currency < b.currency ? -1 : 1)) };
}

const CSV_COLUMNS = ['date', 'organisation_id', 'currency', 'gross', 'fees', 'refunds', 'disputes', 'net', 'disputes_lost', 'paid_out', 'received_at_bank'] as const;

/** The report as CSV: one line per ministry and currency, then one `TOTAL` line per currency (amounts in minor units). */
export function dailyReceiptsCsv(report: DailyReceipts): string {
  const cell = (value: string | number | null) => (value === null ? '' : /[",\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value));
  const lines = [CSV_COLUMNS.join(',')];
  for (const m of report.ministries) lines.push([report.date, m.organisationId, m.currency, m.gross, m.fees, m.refunds, m.disputes, m.net, m.disputesLost, '', ''].map(cell).join(','));
  for (const t of report.totals) lines.push([report.date, 'TOTAL', t.currency, t.gross, t.fees, t.refunds, t.disputes, t.net, t.disputesLost, t.paidOut, t.receivedAtBank].map(cell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
