import type { Knex } from '@tamkeen/db';
import type { PageCursor } from '@tamkeen/http-kit';
import type { EntryDirection, EntryStatus, StatementEntry, StatementFormat } from './statement-model.js';

/** A query runner: the knex instance or a transaction. */
type Db = Knex | Knex.Transaction;

/** A bank statement as stored (migration 0010). */
export interface BankStatement {
  id: string;
  format: StatementFormat;
  formatVersion: string | null;
  account: string;
  accountName: string;
  currency: string;
  statementId: string;
  /** '' when the file gives none. */
  sequence: string;
  bankCreatedAt: string | null;
  fromDate: string | null;
  toDate: string | null;
  openingBalance: number;
  openingDate: string;
  closingBalance: number | null;
  closingDate: string | null;
  entryCount: number;
  /** Booked credits and debits: what makes the closing balance. */
  creditCount: number;
  creditTotal: number;
  debitCount: number;
  debitTotal: number;
  contentHash: string | null;
  importedBy: string;
  importedAt: Date;
}

/** A statement entry as stored: the parsed entry, where it sits, and the match it is part of. */
export interface BankStatementEntry extends Omit<StatementEntry, 'index' | 'at'> {
  id: string;
  statementId: string;
  position: number;
  line: number;
  matchId: string | null;
}

export interface StatementRow {
  id: string;
  format: StatementFormat;
  format_version: string | null;
  account: string;
  account_name: string;
  currency: string;
  statement_id: string;
  sequence: string;
  bank_created_at: string | null;
  from_date: string | null;
  to_date: string | null;
  opening_balance: string;
  opening_date: string;
  closing_balance: string | null;
  closing_date: string | null;
  entry_count: number;
  credit_count: number;
  credit_total: string;
  debit_count: number;
  debit_total: string;
  content_hash: string | null;
  imported_by: string;
  imported_at: Date;
}

/** Dates as their text (YYYY-MM-DD), never Dates shifted by the process's time zone. */
export const STATEMENT_COLUMNS = [
  'id', 'format', 'format_version', 'account', 'account_name', 'currency', 'statement_id', 'sequence', 'bank_created_at',
  'opening_balance', 'closing_balance', 'entry_count', 'credit_count', 'credit_total', 'debit_count', 'debit_total', 'content_hash', 'imported_by', 'imported_at',
].map((c) => `s.${c}`);
export const STATEMENT_DATES = ['from_date', 'to_date', 'opening_date', 'closing_date'].map((c) => `s.${c}::text as ${c}`).join(', ');

export const toStatement = (r: StatementRow): BankStatement => ({
  id: r.id,
  format: r.format,
  formatVersion: r.format_version,
  account: r.account,
  accountName: r.account_name,
  currency: r.currency.trim(),
  statementId: r.statement_id,
  sequence: r.sequence,
  bankCreatedAt: r.bank_created_at,
  fromDate: r.from_date,
  toDate: r.to_date,
  openingBalance: Number(r.opening_balance),
  openingDate: r.opening_date,
  closingBalance: r.closing_balance === null ? null : Number(r.closing_balance),
  closingDate: r.closing_date,
  entryCount: r.entry_count,
  creditCount: r.credit_count,
  creditTotal: Number(r.credit_total),
  debitCount: r.debit_count,
  debitTotal: Number(r.debit_total),
  contentHash: r.content_hash,
  importedBy: r.imported_by,
  importedAt: r.imported_at,
});

interface EntryRow {
  id: string;
  statement_id: string;
  position: number;
  line: number;
  amount: string;
  currency: string;
  direction: EntryDirection;
  status: EntryStatus;
  reversal: boolean;
  booking_date: string | null;
  value_date: string | null;
  end_to_end_id: string | null;
  account_servicer_ref: string | null;
  customer_ref: string | null;
  remittance_info: string | null;
  additional_info: string | null;
  bank_transaction_code: string | null;
  match_id: string | null;
}

const ENTRY_COLUMNS = 'e.id, e.statement_id, e.position, e.line, e.amount, e.currency, e.direction, e.status, e.reversal, e.booking_date::text as booking_date, e.value_date::text as value_date, e.end_to_end_id, e.account_servicer_ref, e.customer_ref, e.remittance_info, e.additional_info, e.bank_transaction_code, e.match_id';

export const toEntry = (r: EntryRow): BankStatementEntry => ({
  id: String(r.id),
  statementId: r.statement_id,
  position: r.position,
  line: r.line,
  amount: Number(r.amount),
  currency: r.currency.trim(),
  direction: r.direction,
  status: r.status,
  reversal: r.reversal,
  bookingDate: r.booking_date,
  valueDate: r.value_date,
  endToEndId: r.end_to_end_id,
  accountServicerRef: r.account_servicer_ref,
  customerRef: r.customer_ref,
  remittanceInfo: r.remittance_info,
  additionalInfo: r.additional_info,
  bankTransactionCode: r.bank_transaction_code,
  matchId: r.match_id,
});

export interface StatementFilter {
  account?: string;
  currency?: string;
  /** Statements whose period ends (closing date) on or after / on or before these days. */
  closingFrom?: string;
  closingTo?: string;
  limit: number;
  cursor?: PageCursor;
}

export interface MatchView {
  id: string;
  rule: string;
  shape: string;
  currency: string;
  payoutTotal: number;
  creditTotal: number;
  payoutIds: string[];
  entryIds: string[];
  matchedAt: Date;
}

export function statementRepository(knex: Knex) {
  const statements = (db: Db) => db('bank_statements as s').select(...STATEMENT_COLUMNS, db.raw(STATEMENT_DATES));

  return {
    async byId(id: string, db: Db = knex): Promise<BankStatement | undefined> {
      const row = await statements(db).where('s.id', id).first<StatementRow | undefined>();
      return row && toStatement(row);
    },

    /** Newest import first; `limit + 1` rows, as pageOf takes them. */
    async list(filter: StatementFilter): Promise<Array<BankStatement & PageCursor>> {
      const query = statements(knex).orderBy([{ column: 's.imported_at', order: 'desc' }, { column: 's.id', order: 'desc' }]).limit(filter.limit + 1);
      if (filter.account) query.where('s.account', filter.account);
      if (filter.currency) query.where('s.currency', filter.currency);
      if (filter.closingFrom) query.where('s.closing_date', '>=', filter.closingFrom);
      if (filter.closingTo) query.where('s.closing_date', '<=', filter.closingTo);
      if (filter.cursor) query.whereRaw('(s.imported_at, s.id) < (?, ?)', [filter.cursor.createdAt, filter.cursor.id]);
      const rows = (await query) as StatementRow[];
      return rows.map((r) => ({ ...toStatement(r), createdAt: r.imported_at }));
    },

    /** A statement's entries in file order, from `afterPosition` (exclusive), `limit + 1` of them. */
    async entries(statementId: string, { afterPosition = 0, limit }: { afterPosition?: number; limit: number }): Promise<BankStatementEntry[]> {
      const { rows } = await knex.raw<{ rows: EntryRow[] }>(`select ${ENTRY_COLUMNS} from bank_statement_entries e where e.statement_id = ? and e.position > ? order by e.position limit ?`, [statementId, afterPosition, limit + 1]);
      return rows.map(toEntry);
    },

    /** The matches any of the statement's entries is part of, with every payout and credit of each. */
    async matchesOf(statementId: string): Promise<MatchView[]> {
      const { rows } = await knex.raw<{ rows: Array<{ id: string; rule: string; shape: string; currency: string; payout_total: string; credit_total: string; matched_at: Date; payout_ids: string[] | null; entry_ids: string[] | null }> }>(
        `select m.id, m.rule, m.shape, m.currency, m.payout_total, m.credit_total, m.matched_at,
                (select array_agg(p.payout_id order by p.payout_id) from bank_statement_matched_payouts p where p.match_id = m.id) as payout_ids,
                (select array_agg(e2.id::text order by e2.id) from bank_statement_entries e2 where e2.match_id = m.id) as entry_ids
           from bank_statement_matches m
          where m.id in (select e.match_id from bank_statement_entries e where e.statement_id = ? and e.match_id is not null)
          order by m.matched_at, m.id`,
        [statementId],
      );
      return rows.map((r) => ({ id: r.id, rule: r.rule, shape: r.shape, currency: r.currency.trim(), payoutTotal: Number(r.payout_total), creditTotal: Number(r.credit_total), payoutIds: r.payout_ids ?? [], entryIds: r.entry_ids ?? [], matchedAt: r.matched_at }));
    },
  };
}

export type StatementRepository = ReturnType<typeof statementRepository>;
