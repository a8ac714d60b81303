import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { AccountDefinition, AccountKind } from './chart-of-accounts.js';

/** A query runner: the knex instance or a transaction. */
type Db = Knex | Knex.Transaction;

export interface PostingInput {
  account: AccountDefinition;
  /** Signed minor units: a debit is positive, a credit negative; never zero. */
  amount: number;
  currency: Currency;
}

export interface JournalEntryInput {
  /** What caused the entry ('payment', later 'refund', 'dispute', 'payout'...) and its id: posted at most once. */
  sourceType: string;
  sourceId: string;
  description: string;
  /** The accounting day (YYYY-MM-DD) the movement belongs to. */
  effectiveDate: string;
  postings: PostingInput[];
}

export interface Posting {
  accountCode: string;
  amount: number;
  currency: Currency;
}

export interface JournalEntry {
  id: string;
  sourceType: string;
  sourceId: string;
  description: string;
  effectiveDate: string;
  recordedAt: Date;
  postings: Posting[];
}

/** What a post did: wrote the entry, or found its source posted before (and wrote nothing). */
export type Posted = { outcome: 'posted' | 'already'; entry: JournalEntry };

/** The day the ledger's effective dates are counted in: the platform's. */
export const LEDGER_TIME_ZONE = 'Asia/Hebron';
const dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone: LEDGER_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The ledger day (YYYY-MM-DD, in Palestine and Jordan's time) an instant falls on. */
export const ledgerDay = (at: Date): string => dayFormat.format(at);

/** Why postings cannot make one entry, or undefined when they can (the database checks it again at commit). */
export function postingsProblem(postings: readonly PostingInput[]): string | undefined {
  if (postings.length < 2) return 'an entry needs at least two postings';
  const sums = new Map<string, number>();
  for (const p of postings) {
    if (!Number.isSafeInteger(p.amount) || p.amount === 0) return `posting amounts are non-zero whole numbers of minor units, not ${p.amount}`;
    sums.set(p.currency, (sums.get(p.currency) ?? 0) + p.amount);
  }
  for (const [currency, sum] of sums) if (sum !== 0) return `postings in ${currency} sum to ${sum}, not zero`;
  return undefined;
}

export class UnbalancedEntry extends Error {
  override name = 'UnbalancedEntry';
}

interface EntryRow {
  id: string;
  source_type: string;
  source_id: string;
  description: string;
  effective_date: string;
  recorded_at: Date;
}

const ENTRY_COLUMNS = ['id', 'source_type', 'source_id', 'description', 'recorded_at'];

const toEntry = (r: EntryRow, postings: Posting[]): JournalEntry => ({
  id: String(r.id),
  sourceType: r.source_type,
  sourceId: r.source_id,
  description: r.description,
  effectiveDate: r.effective_date,
  recordedAt: r.recorded_at,
  postings,
});

/**
 * The accounts' ids, each created on first use: read first (the usual case: one query), then the
 * missing ones inserted in one statement, in a fixed order, so that transactions creating the same
 * new accounts wait for each other instead of deadlocking, and the loser of a race reads the
 * winner's account.
 */
async function accountIds(trx: Db, wanted: ReadonlyArray<{ account: AccountDefinition; currency: Currency }>): Promise<Map<string, string>> {
  const key = (code: string, currency: string) => `${code} ${currency}`;
  const rows = [...new Map(wanted.map((w) => [key(w.account.code, w.currency), w])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { account, currency }]) => ({ code: account.code, name: account.name, kind: account.kind, currency, organisation_id: account.organisationId }));
  const ids = new Map<string, string>();
  const read = async (of: typeof rows) => {
    const found = await trx('ledger_accounts').select<Array<{ id: string; code: string; currency: string }>>('id', 'code', 'currency').whereIn(['code', 'currency'], of.map((r) => [r.code, r.currency]));
    for (const r of found) ids.set(key(r.code, r.currency), String(r.id));
  };
  const missing = () => rows.filter((r) => !ids.has(key(r.code, r.currency)));
  await read(rows);
  if (missing().length > 0) {
    const inserted = await trx('ledger_accounts').insert(missing()).onConflict(['code', 'currency']).ignore().returning<Array<{ id: string; code: string; currency: string }>>(['id', 'code', 'currency']);
    for (const r of inserted) ids.set(key(r.code, r.currency), String(r.id));
    if (missing().length > 0) await read(missing());
  }
  const absent = missing();
  if (absent.length > 0) throw new Error(`ledger accounts ${absent.map((r) => key(r.code, r.currency)).join(', ')} could be neither created nor found`);
  return ids;
}

/**
 * Writes one journal entry: its postings must sum to zero per currency (checked here and, at
 * commit, by the database). The same source posted again is a no-op that returns the first
 * entry: the unique (source_type, source_id) decides, so two transactions racing to post one
 * source write one entry (the later waits for the earlier to commit, then finds its entry).
 *
 * An entry is dated `effectiveDate`, or the first open day when the ledger is closed through that
 * day or later (the month-end close: a late movement or a correction goes to the next period).
 *
 * One statement writes the entry and all its postings, so it is atomic on its own: `db` is the
 * transaction of the change the entry records (a payment's success...), or the knex instance for
 * an entry that stands alone. When an account does not exist yet (its first use), that statement
 * writes nothing and says so; the accounts are created and the statement run again.
 */
export async function postJournalEntry(db: Db, input: JournalEntryInput): Promise<Posted> {
  const problem = postingsProblem(input.postings);
  if (problem) throw new UnbalancedEntry(`journal entry for ${input.sourceType} ${input.sourceId}: ${problem}`);
  let posted = await postInOneStatement(db, input);
  if (posted === 'accounts missing') {
    await accountIds(db, input.postings);
    posted = await postInOneStatement(db, input);
    if (posted === 'accounts missing') throw new Error(`ledger accounts of the entry for ${input.sourceType} ${input.sourceId} could be neither created nor found`);
  }
  return posted;
}

/** The entry and its postings on the accounts found by code and currency, in one statement; nothing when an account is missing. */
async function postInOneStatement(db: Db, input: JournalEntryInput): Promise<Posted | 'accounts missing'> {
  const values = input.postings.map(() => '(?::int, ?::text, ?::char(3), ?::bigint)').join(', ');
  const { rows } = await db.raw<{ rows: Array<Partial<EntryRow> & { ready: boolean }> }>(
    `with wanted (ord, code, currency, amount) as (values ${values}),
     found as (select w.*, a.id as account_id from wanted w left join ledger_accounts a on a.code = w.code and a.currency = w.currency),
     ready as (select not exists (select 1 from found where account_id is null) as ok),
     entry as (
       insert into journal_entries (source_type, source_id, description, effective_date)
       select ?, ?, ?, greatest(?::date, (select closed_through + 1 from ledger_close)) from ready where ready.ok
       on conflict (source_type, source_id) do nothing
       returning ${ENTRY_COLUMNS.join(', ')}, effective_date::text as effective_date),
     posted as (
       insert into postings (entry_id, account_id, amount, currency)
       select entry.id, f.account_id, f.amount, f.currency from entry cross join found f order by f.ord
       returning id)
     select ready.ok as ready, (select count(*) from posted) as posted, ${ENTRY_COLUMNS.map((c) => `entry.${c}`).join(', ')}, entry.effective_date
       from ready left join entry on true`,
    [...input.postings.flatMap((p, i) => [i, p.account.code, p.currency, p.amount]), input.sourceType, input.sourceId, input.description, input.effectiveDate],
  );
  const row = rows[0]!;
  if (!row.ready) return 'accounts missing';
  if (row.id === null || row.id === undefined) {
    const entry = await findEntry(db, input.sourceType, input.sourceId);
    if (!entry) throw new Error(`a journal entry for ${input.sourceType} ${input.sourceId} conflicted but cannot be found`);
    return { outcome: 'already', entry };
  }
  const entryRow = { id: row.id, source_type: input.sourceType, source_id: input.sourceId, description: input.description, effective_date: row.effective_date!, recorded_at: row.recorded_at! };
  return { outcome: 'posted', entry: toEntry(entryRow, input.postings.map((p) => ({ accountCode: p.account.code, amount: p.amount, currency: p.currency }))) };
}

/** The entry posted for a source event, with its postings; undefined when none was. */
export async function findEntry(db: Db, sourceType: string, sourceId: string): Promise<JournalEntry | undefined> {
  const row = await db('journal_entries')
    // The date as its text (YYYY-MM-DD), never a Date shifted by the process's time zone.
    .select('id', 'source_type', 'source_id', 'description', db.raw('effective_date::text as effective_date'), 'recorded_at')
    .where({ source_type: sourceType, source_id: sourceId })
    .first<EntryRow | undefined>();
  if (!row) return undefined;
  const postings = await db('postings as p')
    .join('ledger_accounts as a', 'a.id', 'p.account_id')
    .where('p.entry_id', row.id)
    .orderBy('p.id')
    .select<Array<{ code: string; amount: string; currency: Currency }>>('a.code', 'p.amount', 'p.currency');
  return toEntry(row, postings.map((p) => ({ accountCode: p.code, amount: Number(p.amount), currency: p.currency })));
}

/**
 * Entries recorded up to an instant, to the millisecond (as instants are written in the API and in
 * JavaScript): the entry recorded at 10:00:00.123456 is in the balance at 10:00:00.123.
 */
const RECORDED_BY = `date_trunc('milliseconds', e.recorded_at) <= ?`;

/**
 * An account's balance in minor units (debits positive, credits negative: a ministry's revenue
 * account, a liability, has a negative balance), from the postings of the entries recorded up to
 * `at` (now when omitted). 0 for an account never posted to.
 */
export async function balanceOf(db: Db, accountCode: string, currency: Currency, at?: Date): Promise<number> {
  const query = db('postings as p')
    .join('ledger_accounts as a', 'a.id', 'p.account_id')
    .join('journal_entries as e', 'e.id', 'p.entry_id')
    .where({ 'a.code': accountCode, 'a.currency': currency })
    .sum<{ balance: string | null }>({ balance: 'p.amount' })
    .first();
  if (at) query.whereRaw(RECORDED_BY, [at]);
  const row = await query;
  return Number(row?.balance ?? 0);
}

export interface TrialBalanceLine {
  accountCode: string;
  name: string;
  kind: AccountKind;
  currency: Currency;
  organisationId: string | null;
  /** Signed: debits positive, credits negative. */
  balance: number;
  debit: number;
  credit: number;
}

export interface TrialBalanceTotal {
  currency: Currency;
  debit: number;
  credit: number;
  /** debit − credit: zero for the whole ledger. */
  net: number;
}

export interface TrialBalance {
  at: Date;
  accounts: TrialBalanceLine[];
  totals: TrialBalanceTotal[];
}

/**
 * Every account's balance at `at` (every entry so far when omitted), per currency, with each currency's total
 * debits and credits: over the whole ledger they are equal. `organisationId` keeps only that
 * organisation's accounts (and totals them), `currency` only that currency's.
 */
export async function trialBalance(db: Db, { at, currency, organisationId }: { at?: Date; currency?: Currency; organisationId?: string } = {}): Promise<TrialBalance> {
  const balances = db('postings as p').join('journal_entries as e', 'e.id', 'p.entry_id').groupBy('p.account_id').select('p.account_id', db.raw('sum(p.amount) as balance'));
  if (at) balances.whereRaw(RECORDED_BY, [at]);
  const query = db('ledger_accounts as a')
    .leftJoin(balances.as('b'), 'b.account_id', 'a.id')
    .orderBy(['a.currency', 'a.code'])
    .select<Array<{ code: string; name: string; kind: AccountKind; currency: Currency; organisation_id: string | null; balance: string | null }>>('a.code', 'a.name', 'a.kind', 'a.currency', 'a.organisation_id', 'b.balance');
  if (at) query.whereRaw(`date_trunc('milliseconds', a.created_at) <= ?`, [at]);
  if (currency) query.where('a.currency', currency);
  if (organisationId !== undefined) query.where('a.organisation_id', organisationId);
  const rows = await query;
  const accounts = rows.map((r): TrialBalanceLine => {
    const balance = Number(r.balance ?? 0);
    return { accountCode: r.code, name: r.name, kind: r.kind, currency: r.currency, organisationId: r.organisation_id, balance, debit: Math.max(balance, 0), credit: Math.max(-balance, 0) };
  });
  const totals = new Map<Currency, TrialBalanceTotal>();
  for (const line of accounts) {
    const total = totals.get(line.currency) ?? { currency: line.currency, debit: 0, credit: 0, net: 0 };
    total.debit += line.debit;
    total.credit += line.credit;
    total.net = total.debit - total.credit;
    totals.set(line.currency, total);
  }
  return { at: at ?? new Date(), accounts, totals: [...totals.values()] };
}
