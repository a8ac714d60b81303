import type { Knex } from '@tamkeen/db';
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

/**
 * Stores lines in `trx`, each once by its id (the PSP's balance transaction): a line not seen
 * before is stored `pending` (to be matched); a line seen before with the same content changes
 * nothing, except that it may fill in what the stored one lacked (its payout, once the PSP has
 * paid it out; a payment intent a report did not carry); a line seen before with other content is
 * a `duplicate_line` exception (once per version) and the stored line stays as it was. Lines
 * repeated within `incoming` are treated the same way. Answers the ids of the lines stored before
 * and now given a payout (their payments may now be settled: settleLinked); a new line's payment is
 * settled when it is matched.
 */
export async function storeLines(trx: Knex.Transaction, incoming: readonly IncomingLine[], origin: LineOrigin, counts: SettlementCounts): Promise<{ linked: string[] }> {
  counts.lines.seen += incoming.length;
  const rows = incoming.map(({ line, lineNumber }) => ({ row: rowOf(line, origin), lineNumber }));
  const ids = [...new Set(rows.map((r) => r.row.id))];
  const stored = new Map<string, Row>();
  if (ids.length > 0) {
    for (const r of await trx('settlement_lines').select(lineColumns(trx)).whereIn('id', ids)) stored.set(r.id, r as Row);
  }
  const firsts = new Map<string, Row>();
  for (const { row } of rows) if (!stored.has(row.id) && !firsts.has(row.id)) firsts.set(row.id, row);
  const inserted = new Set<string>();
  if (firsts.size > 0) {
    const returned = await trx('settlement_lines').insert([...firsts.values()]).onConflict('id').ignore().returning<Array<{ id: string }>>('id');
    for (const r of returned) inserted.add(r.id);
    // Stored meanwhile by another run: compare with that one.
    const raced = [...firsts.keys()].filter((id) => !inserted.has(id));
    if (raced.length > 0) for (const r of await trx('settlement_lines').select(lineColumns(trx)).whereIn('id', raced)) stored.set(r.id, r as Row);
  }
  counts.lines.new += inserted.size;

  const linked = new Set<string>();
  const handled = new Set<string>();
  for (const { row, lineNumber } of rows) {
    if (inserted.has(row.id) && !handled.has(row.id)) {
      // A new line's payment is settled when the line is matched (settlement-matching.ts).
      handled.add(row.id);
      continue;
    }
    const first = stored.get(row.id) ?? firsts.get(row.id)!;
    if (first.content_hash !== row.content_hash) {
      counts.lines.conflicting += 1;
      const known = stored.get(row.id) as (Row & { payment_id?: string | null; organisation_id?: string | null }) | undefined;
      const raised = await raiseException(trx, {
        kind: 'duplicate_line',
        dedupeKey: `duplicate_line:${row.id}:${row.content_hash}`,
        balanceTransactionId: row.id,
        currency: isCurrency(first.currency) ? first.currency : null,
        amount: row.amount,
        expectedAmount: Number(first.amount),
        paymentId: known?.payment_id ?? null,
        organisationId: known?.organisation_id ?? null,
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
 * Records on each payment the payout that paid it out and its settled date (the payout's arrival
 * date, or the report's effective date when the payout is not stored), from its matched charge
 * line among `lineIds`: set-based, and only where it changes. A payout that failed or was cancelled
 * settles nothing. Answers how many payments changed.
 */
export async function settlePayments(trx: Knex.Transaction, lineIds: readonly string[]): Promise<number> {
  if (lineIds.length === 0) return 0;
  const { rows } = await trx.raw<{ rows: Array<{ id: string }> }>(
    `update payments p set payout_id = s.payout_id, settled_date = s.settled_date
       from (select l.payment_id, l.payout_id, coalesce(po.arrival_date, l.payout_date) as settled_date
               from settlement_lines l left join payouts po on po.id = l.payout_id
              where l.id = any(?) and l.payment_id is not null and l.reporting_category = 'charge' and l.payout_id is not null
                and coalesce(po.status, 'paid') not in ('failed', 'canceled')) s
      where p.id = s.payment_id and s.settled_date is not null
        and (p.payout_id is distinct from s.payout_id or p.settled_date is distinct from s.settled_date)
      returning p.id`,
    [[...lineIds]],
  );
  return rows.length;
}

/** Settles the payments of lines stored before and now given a payout (storeLines' `linked`), a thousand at a time. */
export async function settleLinked(knex: Knex, linked: readonly string[], counts: SettlementCounts): Promise<void> {
  for (let i = 0; i < linked.length; i += 1_000) {
    const ids = linked.slice(i, i + 1_000);
    counts.payments_settled += await knex.transaction((trx) => settlePayments(trx, ids));
  }
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
