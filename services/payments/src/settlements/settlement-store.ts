import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from '@tamkeen/db';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isCurrency } from '../domain/money.js';
import { raiseException } from '../reconciliation/exceptions.js';
import { contentHash, type LineOrigin, type SettlementCounts, type SettlementLine } from './settlement-line.js';

/** A settlement line as stored (migration 0011). */
export interface LineRow {
  id: string;
  type: string | null;
  reporting_category: string;
  amount: string;
  fee: string;
  net: string;
  currency: string;
  created: Date;
  available_on: Date;
  description: string | null;
  source_id: string | null;
  psp_charge_id: string | null;
  psp_payment_intent_id: string | null;
  psp_refund_id: string | null;
  psp_dispute_id: string | null;
  payout_id: string | null;
  payout_date: string | null;
  origin: LineOrigin;
  content_hash: string;
  match_status: 'pending' | 'matched' | 'mismatch' | 'unmatched';
  payment_id: string | null;
  refund_id: string | null;
  dispute_id: string | null;
  organisation_id: string | null;
}

/** The columns of a line, its dates as text where a Date would shift with the process's time zone. */
export const lineColumns = (db: Knex | Knex.Transaction) => ['*', db.raw('payout_date::text as payout_date')];

/** A line to store, with where it was read (a report's line number) for the exceptions it may raise. */
export interface IncomingLine {
  line: SettlementLine;
  lineNumber?: number;
}

const rowOf = (line: SettlementLine, origin: LineOrigin) => ({
  id: line.id,
  type: line.type,
  reporting_category: line.reportingCategory,
  amount: line.amount,
  fee: line.fee,
  net: line.net,
  currency: line.currency,
  created: line.created,
  available_on: line.availableOn,
  description: line.description,
  source_id: line.sourceId,
  psp_charge_id: line.chargeId,
  psp_payment_intent_id: line.paymentIntentId,
  psp_refund_id: line.refundId,
  psp_dispute_id: line.disputeId,
  payout_id: line.payoutId,
  payout_date: line.payoutDate,
  origin,
  content_hash: contentHash(line),
});

type Row = ReturnType<typeof rowOf>;

/** What a line said, for an exception's details. */
const said = (r: Pick<Row, 'origin' | 'reporting_category' | 'currency' | 'source_id' | 'payout_id'> & { amount: number | string; fee: number | string; net: number | string; created: Date | string; available_on: Date | string }) => ({
  origin: r.origin,
  reporting_category: r.reporting_category,
  amount: Number(r.amount),
  fee: Number(r.fee),
  net: Number(r.net),
  currency: r.currency,
  created: new Date(r.created).toISOString(),
  available_on: new Date(r.available_on).toISOString(),
  source_id: r.source_id,
  payout_id: r.payout_id,
});

/** What a line seen again may add to the stored one without changing it: ids and facts the first source did not have. */
const GAPS = ['type', 'description', 'source_id', 'psp_charge_id', 'psp_payment_intent_id', 'psp_refund_id', 'psp_dispute_id', 'payout_id', 'payout_date'] as const;

/** The advisory lock of the one transaction at a time that stores settlement lines (a pull's page, or a report). */
export const WRITER_LOCK = 7_362_011;

/**
 * Makes `trx` the one transaction storing settlement lines until it ends (a pull's page, or a
 * report: another waits). Taken before the statements that read which lines are stored.
 */
export async function holdWriterLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(?)', [WRITER_LOCK]);
}

/** The columns a line is stored with, in the order of NEW_LINES' arrays. */
const STORED_COLUMNS = ['id', 'type', 'reporting_category', 'amount', 'fee', 'net', 'currency', 'created', 'available_on', 'description', 'source_id', 'psp_charge_id', 'psp_payment_intent_id', 'psp_refund_id', 'psp_dispute_id', 'payout_id', 'payout_date', 'content_hash'] as const;

/** Where a transaction copies the lines it is given before storing them: its own temporary table, dropped when it ends. */
const INCOMING = 'settlement_lines_incoming';
const INCOMING_TABLE = `create temp table if not exists ${INCOMING} (
    ord int not null, id text, type text, reporting_category text, amount bigint, fee bigint, net bigint, currency char(3),
    created double precision, available_on double precision, description text, source_id text, psp_charge_id text,
    psp_payment_intent_id text, psp_refund_id text, psp_dispute_id text, payout_id text, payout_date date, content_hash text
  ) on commit drop`;

/**
 * Lines not stored before, inserted from INCOMING (one statement whatever their number), each
 * matched as it is stored when it is the plain case: a charge whose payment intent is a succeeded
 * payment of ours with the line's amount, currency and the fee recorded at its success, charged in
 * this balance transaction or one we do not know (settlement-matching.ts decides the same; anything
 * else is stored `pending` for it). The first of the same id wins; the others, and the ids stored
 * before, are not answered. A plain insert, not ON CONFLICT (a third of the cost): only one
 * transaction at a time stores lines (WRITER_LOCK), so no other can insert the same id meanwhile.
 */
const NEW_LINES = `with i as (
    select distinct on (id) * from ${INCOMING} order by id, ord
  ), stored as (
    insert into settlement_lines (${STORED_COLUMNS.join(', ')}, origin, report_id, match_status, matched_by, payment_id, organisation_id, matched_at)
    select ${STORED_COLUMNS.map((c) => (c === 'created' || c === 'available_on' ? `to_timestamp(i.${c})` : `i.${c}`)).join(', ')}, ?, ?::uuid,
           case when p.id is null then 'pending' else 'matched' end, case when p.id is null then null else 'psp_id' end,
           p.id, p.organisation_id, case when p.id is null then null else now() end
      from i left join lateral (
             -- One index probe per line (a hash join would read every payment for each batch).
             select p.id, p.organisation_id from payments p
              where i.reporting_category = 'charge' and p.psp_payment_intent_id = i.psp_payment_intent_id and p.status = 'succeeded'
                and p.currency = i.currency and p.amount = i.amount and p.psp_fee = i.fee
                and (p.psp_balance_transaction_id is null or p.psp_balance_transaction_id = i.id)
              limit 1) p on true
     where not exists (select 1 from settlement_lines stored_before where stored_before.id = i.id)
    returning id, match_status, payout_id, payout_date
  )
  -- settles: the view payment_settlements' condition (migration 0013), which cannot see rows this statement inserts.
  select s.id, s.match_status = 'matched' as matched,
         s.payout_id is not null and coalesce(po.status, 'paid') not in ('failed', 'canceled') and coalesce(po.arrival_date, s.payout_date) is not null as settles
    from stored s left join payouts po on po.id = s.payout_id`;

/** A value in COPY's text format: \N for null; a backslash, tab, line feed or carriage return escaped. */
function copyField(value: string | number | Date | null): string {
  if (value === null) return '\\N';
  // Seconds since the epoch (INCOMING's times are numbers, made timestamps when stored): far cheaper than an ISO string.
  if (value instanceof Date) return String(value.getTime() / 1000);
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/** The transactions that made INCOMING (it lives until each ends). */
const incomingMade = new WeakSet<Knex.Transaction>();

/**
 * Copies the rows into INCOMING (emptied first) with COPY, on the transaction's own connection: the
 * cheapest way into PostgreSQL (parameters of 18 arrays cost PostgreSQL more to read than storing).
 */
async function copyIncoming(trx: Knex.Transaction, rows: ReadonlyArray<Row>): Promise<void> {
  if (incomingMade.has(trx)) await trx.raw(`truncate ${INCOMING}`);
  else {
    await trx.raw(INCOMING_TABLE);
    incomingMade.add(trx);
  }
  let text = '';
  rows.forEach((row, ord) => {
    text += `${ord}\t${STORED_COLUMNS.map((column) => copyField(row[column])).join('\t')}\n`;
  });
  // The pg client knex runs this transaction on (knex gives a transaction's own connection back).
  const connection = await (trx.client as unknown as { acquireConnection(): Promise<pg.ClientBase> }).acquireConnection();
  await pipeline(Readable.from([text]), connection.query(copyFrom(`copy ${INCOMING} (ord, ${STORED_COLUMNS.join(', ')}) from stdin`)));
}

/**
 * Stores lines in `trx`, each once by its id (the PSP's balance transaction): a line not seen
 * before is stored — matched at once in the plain case (NEW_LINES), else `pending` (to be
 * matched); a line seen before with the same content changes nothing, except that it may fill in
 * what the stored one lacked (its payout, once the PSP has paid it out; a payment intent a report
 * did not carry); a line seen before with other content is a `duplicate_line` exception (once per
 * version) and the stored line stays as it was. Lines repeated within `incoming` are treated the
 * same way. `reportId`: the settlement report that stores them; `writerLockHeld`: the caller took
 * holdWriterLock in `trx` already (a report, once for all its lines). Answers the ids of the lines
 * stored before and now given a payout (their payments are now settled: countSettledBy counts them).
 */
export async function storeLines(trx: Knex.Transaction, incoming: readonly IncomingLine[], origin: LineOrigin, counts: SettlementCounts, { reportId, writerLockHeld = false }: { reportId?: string; writerLockHeld?: boolean } = {}): Promise<{ linked: string[] }> {
  counts.lines.seen += incoming.length;
  if (incoming.length === 0) return { linked: [] };
  const rows = incoming.map(({ line, lineNumber }) => ({ row: rowOf(line, origin), lineNumber }));
  if (!writerLockHeld) await holdWriterLock(trx);
  await copyIncoming(trx, rows.map(({ row }) => row));
  const { rows: inserted } = await trx.raw<{ rows: Array<{ id: string; matched: boolean; settles: boolean }> }>(NEW_LINES, [origin, reportId ?? null]);
  const linked = new Set<string>();
  const insertedIds = new Set<string>();
  for (const r of inserted) {
    insertedIds.add(r.id);
    if (r.matched) counts.matching.matched += 1;
    // A charge matched as it is stored, that names a payout which did not fail, settles its payment (the view payment_settlements).
    if (r.matched && r.settles) counts.payments_settled += 1;
  }
  counts.lines.new += insertedIds.size;

  // The rest were stored before (or are repeated here): compared with what is stored.
  const seen = new Set<string>();
  const again = rows.filter(({ row }) => {
    const repeated = seen.has(row.id);
    seen.add(row.id);
    return repeated || !insertedIds.has(row.id);
  });
  if (again.length === 0) return { linked: [...linked] };
  const stored = new Map<string, LineRow>();
  for (const r of (await trx('settlement_lines').select(lineColumns(trx)).whereIn('id', [...new Set(again.map(({ row }) => row.id))])) as LineRow[]) stored.set(r.id, r);
  for (const { row, lineNumber } of again) {
    const first = stored.get(row.id)!;
    if (first.content_hash !== row.content_hash) {
      counts.lines.conflicting += 1;
      const raised = await raiseException(trx, {
        kind: 'duplicate_line',
        dedupeKey: `duplicate_line:${row.id}:${row.content_hash}`,
        balanceTransactionId: row.id,
        currency: isCurrency(first.currency) ? first.currency : null,
        amount: row.amount,
        expectedAmount: Number(first.amount),
        paymentId: first.payment_id,
        organisationId: first.organisation_id,
        payoutId: row.payout_id ?? first.payout_id,
        details: { rule: 'a line seen again must say the same', ...(lineNumber ? { line_number: lineNumber } : {}), first: said(first), again: said(row) },
      });
      if (raised.raised) counts.exceptions_raised += 1;
      continue;
    }
    const gaps = Object.fromEntries(GAPS.filter((column) => first[column] === null && row[column] !== null).map((column) => [column, row[column]]));
    if (Object.keys(gaps).length === 0) continue;
    await trx('settlement_lines').where({ id: row.id }).update({ ...gaps, updated_at: trx.fn.now() });
    Object.assign(first, gaps);
    counts.lines.updated += 1;
    if ('payout_id' in gaps) linked.add(row.id);
  }
  return { linked: [...linked] };
}

/**
 * How many payments these lines settle (the view payment_settlements, migration 0013: a payment
 * is settled by its charge's line once that names a payout that did not fail; nothing is written
 * on the payment). For a run's counts.
 */
export async function paymentsSettledBy(trx: Knex | Knex.Transaction, lineIds: readonly string[]): Promise<number> {
  if (lineIds.length === 0) return 0;
  const { rows } = await trx.raw<{ rows: Array<{ settled: number }> }>('select count(distinct payment_id)::int as settled from payment_settlements where line_id = any(?)', [[...lineIds]]);
  return rows[0]!.settled;
}

/** Counts the payments settled by lines whose payout is now known (storeLines' `linked`), a thousand at a time. */
export async function countSettledBy(knex: Knex, linked: readonly string[], counts: SettlementCounts): Promise<void> {
  for (let i = 0; i < linked.length; i += 1_000) counts.payments_settled += await paymentsSettledBy(knex, linked.slice(i, i + 1_000));
}

/** The newest `created` an incremental pull has seen (`name`: balance_transactions, payouts). */
export async function cursorOf(knex: Knex, name: string): Promise<Date | undefined> {
  const row = await knex('settlement_cursors').where({ name }).first<{ last_created: Date } | undefined>('last_created');
  return row?.last_created;
}

/** Moves a cursor forward to `to` (never back). */
export async function advanceCursor(knex: Knex, name: string, to: Date): Promise<void> {
  await knex.raw(
    `insert into settlement_cursors (name, last_created) values (?, ?)
     on conflict (name) do update set last_created = greatest(settlement_cursors.last_created, excluded.last_created), updated_at = now()`,
    [name, to],
  );
}

/**
 * Takes the lease of a job (`pull`) until `until`, if no one holds it (and, with `unlessStartedSince`,
 * if no run started since then: a schedule shared by every instance): so that one instance runs
 * it at a time. A lease whose holder died runs out by itself. Answers whether it was taken.
 */
export async function takeLease(knex: Knex, name: string, now: Date, until: Date, unlessStartedSince?: Date): Promise<boolean> {
  const { rows } = await knex.raw<{ rows: unknown[] }>(
    `insert into settlement_runs (name, lease_until, last_started_at) values (?, ?, ?)
     on conflict (name) do update set lease_until = excluded.lease_until, last_started_at = excluded.last_started_at
       where (settlement_runs.lease_until is null or settlement_runs.lease_until <= ?)
         and (?::timestamptz is null or settlement_runs.last_started_at is null or settlement_runs.last_started_at <= ?::timestamptz)
     returning name`,
    [name, until, now, now, unlessStartedSince ?? null, unlessStartedSince ?? null],
  );
  return rows.length > 0;
}

export async function releaseLease(knex: Knex, name: string, now: Date): Promise<void> {
  await knex('settlement_runs').where({ name }).update({ lease_until: null, last_finished_at: now });
}
