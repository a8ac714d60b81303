import { randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { raiseException } from '../reconciliation/exceptions.js';
import type { MatchingRules } from './statement-config.js';
import type { BankStatement } from './statement-repository.js';

/** A query runner: the knex instance or a transaction. */
type Db = Knex | Knex.Transaction;

/**
 * Matches the booked credits of bank statements just imported to the PSP's payouts (table
 * `payouts`, status `paid` or `in_transit`, not matched before), under `rules`
 * (statement-config.ts). A credit and a payout can match only in the same currency and when the
 * credit's value date V is within the payout's window: arrival_date − windowDaysBefore ≤ V ≤
 * arrival_date + windowDaysAfter. The rules, tried in this order, each on what the earlier left:
 *
 * 1. `reference` (one-to-one): the credit names the payout — its trace id or statement descriptor
 *    appears in the credit's remittance information, additional information or references
 *    (compared in capitals, letters and digits only, so line breaks and spaces do not matter) —
 *    and the amounts agree within `amountTolerance`.
 * 2. `reference_split` (one-to-many): several credits name the payout and together make its
 *    amount (at most `maxParts` of them).
 * 3. `reference_batch` (many-to-one): one credit names several payouts and pays their sum.
 * 4. `amount_date` (one-to-one, only with `matchWithoutReference`): a credit that names no payout
 *    has the payout's amount; the credit valued nearest the arrival date is taken.
 * 5. `amount_split` (one-to-many, likewise): 2 to `maxParts` credits naming no payout make the
 *    payout's amount, found among at most `maxCandidates` smaller credits in the window.
 * 6. `amount_batch` (many-to-one, likewise): one credit naming no payout pays the sum of 2 to
 *    `maxParts` payouts, found among at most `maxCandidates` payouts left.
 *
 * A credit that names a payout never matches another one by amount: a reference, when present,
 * decides. Every match is recorded (bank_statement_matches, with its rule; the credits point at
 * it; bank_statement_matched_payouts), once.
 *
 * Then what did not match becomes an exception (reconciliation/exceptions.ts), once each:
 * - every booked credit of these statements left unmatched: `unmatched_bank_credit`, dedupe key
 *   `unmatched_bank_credit:<entry id>`, with the payouts it named (a wrong amount) if any;
 * - every payout the PSP reported `paid`, still unmatched, whose window ended within the period
 *   of one of these statements (arrival_date + windowDaysAfter between its first and last day,
 *   in its currency): the statements covering its window show no credit for it —
 *   `unmatched_payout`, dedupe key `unmatched_payout:<payout id>`. A payout whose window is still
 *   open waits for the next statements.
 *
 * The ledger: a matched payout needs no entry. It was posted (debit treasury_bank, credit
 * psp_receivable; source `payout`) when the PSP reported it paid; the bank's credit is the
 * evidence that the money is there, recorded as the match (its details name the payout's ledger
 * entry, or null while the PSP has not yet reported it paid: that event posts it). An unmatched
 * credit or payout posts nothing either: resolving its exception posts the correction.
 */
export async function matchBankCredits(db: Db, statements: readonly BankStatement[], rules: MatchingRules): Promise<MatchingOutcome> {
  const outcome: MatchingOutcome = { matches: [], exceptions: [], exceptionCounts: { unmatched_bank_credit: 0, unmatched_payout: 0 } };
  const currencies = [...new Set(statements.map((s) => s.currency))];
  for (const currency of currencies) {
    const ofCurrency = statements.filter((s) => s.currency === currency);
    const ids = ofCurrency.map((s) => s.id);
    const matcher = new Matcher(db, currency, ids, rules);
    outcome.matches.push(...(await matcher.run()));
    await raiseUnmatchedCredits(db, ids, matcher.named, outcome);
    await raiseUnmatchedPayouts(db, currency, ofCurrency, rules, matcher.named, outcome);
  }
  return outcome;
}

export type MatchRule = 'reference' | 'reference_split' | 'reference_batch' | 'amount_date' | 'amount_split' | 'amount_batch';
export type MatchShape = 'one_to_one' | 'one_to_many' | 'many_to_one';

export interface RecordedMatch {
  id: string;
  rule: MatchRule;
  shape: MatchShape;
  currency: string;
  payoutIds: string[];
  entryIds: string[];
  payoutTotal: number;
  creditTotal: number;
}

export interface RaisedMatchException {
  id: string;
  kind: 'unmatched_bank_credit' | 'unmatched_payout';
  dedupeKey: string;
  /** False when an earlier run raised it already. */
  raised: boolean;
  payoutId: string | null;
  bankEntryId: string | null;
  amount: number;
  currency: string;
}

export interface MatchingOutcome {
  matches: RecordedMatch[];
  /** The first MAX_LISTED exceptions (exceptionCounts counts them all). */
  exceptions: RaisedMatchException[];
  exceptionCounts: { unmatched_bank_credit: number; unmatched_payout: number };
}

/** At most this many exceptions are listed in an outcome (a statement of unknown credits could raise very many). */
const MAX_LISTED = 100;

interface Payout {
  id: string;
  amount: number;
  arrivalDate: string;
  status: string;
  references: string[];
}

interface Credit {
  id: string;
  amount: number;
  valueDate: string;
}

/** Letters and digits in capitals: how references are compared. */
export const normaliseReference = (value: string): string => value.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** References shorter than this would match by chance. */
const MIN_REFERENCE = 6;

/** The text a credit's references are looked for in, computed by PostgreSQL like normaliseReference. */
const CREDIT_TEXT = `upper(regexp_replace(concat_ws(' ', e.remittance_info, e.additional_info, e.end_to_end_id, e.customer_ref, e.account_servicer_ref), '[^A-Za-z0-9]', '', 'g'))`;

const UNMATCHED_CREDITS = `e.direction = 'credit' and e.status = 'booked' and e.match_id is null`;

const DAY = 86_400_000;
export const addDays = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string): number => Math.round((Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / DAY);

/** The smallest subset (2 to maxParts items) of `items` whose amounts sum to `target` within `tolerance`; undefined when none. */
export function findSubset<T extends { amount: number }>(items: readonly T[], target: number, tolerance: number, maxParts: number): T[] | undefined {
  const sorted = [...items].sort((a, b) => b.amount - a.amount);
  for (let size = 2; size <= Math.min(maxParts, sorted.length); size++) {
    const pick: T[] = [];
    const search = (from: number, sum: number): boolean => {
      if (pick.length === size) return Math.abs(sum - target) <= tolerance;
      for (let i = from; i < sorted.length; i++) {
        const item = sorted[i]!;
        // Amounts are positive and sorted largest first: past the target (and tolerance), a larger one cannot help.
        if (sum + item.amount > target + tolerance) continue;
        pick.push(item);
        if (search(i + 1, sum + item.amount)) return true;
        pick.pop();
      }
      return false;
    };
    if (search(0, 0)) return [...pick];
  }
  return undefined;
}

class Matcher {
  /** Credit id → the payouts it names (in its window), whatever their amounts. */
  readonly named = new Map<string, Set<string>>();
  private payouts: Payout[] = [];
  private readonly usedPayouts = new Set<string>();
  private readonly usedCredits = new Set<string>();
  private readonly recorded: RecordedMatch[] = [];

  constructor(
    private readonly db: Db,
    private readonly currency: string,
    private readonly statementIds: string[],
    private readonly rules: MatchingRules,
  ) {}

  private inWindow(payout: Payout, valueDate: string): boolean {
    const d = daysBetween(valueDate, payout.arrivalDate);
    return d >= -this.rules.windowDaysBefore && d <= this.rules.windowDaysAfter;
  }

  private within(amount: number, target: number): boolean {
    return Math.abs(amount - target) <= this.rules.amountTolerance;
  }

  async run(): Promise<RecordedMatch[]> {
    const span = await this.db.raw<{ rows: Array<{ first: string | null; last: string | null }> }>(
      `select min(e.value_date)::text as first, max(e.value_date)::text as last from bank_statement_entries e where e.statement_id = any(?::uuid[]) and ${UNMATCHED_CREDITS}`,
      [this.statementIds],
    );
    const { first, last } = span.rows[0] ?? { first: null, last: null };
    if (!first || !last) return [];
    const { rows } = await this.db.raw<{ rows: Array<{ id: string; amount: string; arrival_date: string; status: string; trace_id: string | null; statement_descriptor: string | null }> }>(
      `select p.id, p.amount, p.arrival_date::text as arrival_date, p.status, p.trace_id, p.statement_descriptor
         from payouts p
        where p.currency = ? and p.status in ('paid', 'in_transit')
          and p.arrival_date between ?::date and ?::date
          and not exists (select 1 from bank_statement_matched_payouts m where m.payout_id = p.id)
        order by p.arrival_date, p.created, p.id`,
      [this.currency, addDays(first, -this.rules.windowDaysAfter), addDays(last, this.rules.windowDaysBefore)],
    );
    this.payouts = rows.map((r) => ({
      id: r.id,
      amount: Number(r.amount),
      arrivalDate: r.arrival_date,
      status: r.status,
      references: [...new Set([r.trace_id, r.statement_descriptor].filter((v): v is string => Boolean(v)).map(normaliseReference).filter((v) => v.length >= MIN_REFERENCE))],
    }));
    if (this.payouts.length === 0) return [];
    const hits = await this.referenceHits();
    this.matchByReference(hits);
    if (this.rules.matchWithoutReference) {
      await this.matchByAmount();
      await this.matchSplitsByAmount();
      await this.matchBatchesByAmount();
    }
    return this.record();
  }

  /** Every (credit, payout) pair where the credit names the payout and is valued in its window. */
  private async referenceHits(): Promise<Array<{ credit: Credit; payoutId: string }>> {
    const refs = this.payouts.flatMap((p) => p.references.map((ref) => ({ payout: p.id, ref, from: addDays(p.arrivalDate, -this.rules.windowDaysBefore), to: addDays(p.arrivalDate, this.rules.windowDaysAfter) })));
    if (refs.length === 0) return [];
    const { rows } = await this.db.raw<{ rows: Array<{ id: string; amount: string; value_date: string; payout_id: string }> }>(
      `with credits as materialized (
         select e.id, e.amount, e.value_date, ${CREDIT_TEXT} as text
           from bank_statement_entries e
          where e.statement_id = any(?::uuid[]) and e.currency = ? and ${UNMATCHED_CREDITS})
       select distinct c.id, c.amount, c.value_date::text as value_date, r.payout_id
         from credits c
         join unnest(?::text[], ?::text[], ?::date[], ?::date[]) as r(payout_id, ref, window_from, window_to)
           on c.value_date between r.window_from and r.window_to and strpos(c.text, r.ref) > 0
        order by c.id, r.payout_id`,
      [this.statementIds, this.currency, refs.map((r) => r.payout), refs.map((r) => r.ref), refs.map((r) => r.from), refs.map((r) => r.to)],
    );
    return rows.map((r) => ({ credit: { id: String(r.id), amount: Number(r.amount), valueDate: r.value_date }, payoutId: r.payout_id }));
  }

  private matchByReference(hits: Array<{ credit: Credit; payoutId: string }>): void {
    const credits = new Map<string, Credit>();
    const creditsOf = new Map<string, Set<string>>();
    for (const { credit, payoutId } of hits) {
      credits.set(credit.id, credit);
      let named = this.named.get(credit.id);
      if (!named) this.named.set(credit.id, (named = new Set()));
      named.add(payoutId);
      let naming = creditsOf.get(payoutId);
      if (!naming) creditsOf.set(payoutId, (naming = new Set()));
      naming.add(credit.id);
    }
    const payout = (id: string) => this.payouts.find((p) => p.id === id)!;
    const free = (ids: Iterable<string>) => [...ids].filter((id) => !this.usedCredits.has(id)).map((id) => credits.get(id)!);

    // 1. One credit, one payout, named and of its amount.
    for (const p of this.payouts) {
      const naming = free(creditsOf.get(p.id) ?? []).filter((c) => this.within(c.amount, p.amount));
      const exact = naming.sort((a, b) => Math.abs(daysBetween(a.valueDate, p.arrivalDate)) - Math.abs(daysBetween(b.valueDate, p.arrivalDate)) || Number(a.id) - Number(b.id))[0];
      if (exact && !this.usedPayouts.has(p.id)) this.take('reference', [p], [exact]);
    }
    // 2. One payout over several credits naming it.
    for (const p of this.payouts) {
      if (this.usedPayouts.has(p.id)) continue;
      const naming = free(creditsOf.get(p.id) ?? []).filter((c) => c.amount < p.amount + this.rules.amountTolerance);
      const parts = findSubset(naming.slice(0, Math.max(this.rules.maxCandidates, this.rules.maxParts)), p.amount, this.rules.amountTolerance, this.rules.maxParts);
      if (parts) this.take('reference_split', [p], parts);
    }
    // 3. Several payouts in one credit that names them.
    for (const [creditId, named] of this.named) {
      if (this.usedCredits.has(creditId) || named.size < 2) continue;
      const credit = credits.get(creditId)!;
      const candidates = [...named].filter((id) => !this.usedPayouts.has(id)).map(payout);
      const parts = findSubset(candidates.slice(0, Math.max(this.rules.maxCandidates, this.rules.maxParts)), credit.amount, this.rules.amountTolerance, this.rules.maxParts);
      if (parts) this.take('reference_batch', parts, [credit]);
    }
  }

  /** Unmatched credits in `payout`'s window naming no payout, within amounts, nearest the arrival first; `limit` of them. */
  private async freeCredits(from: string, to: string, minAmount: number, maxAmount: number, nearest: string, limit: number): Promise<Credit[]> {
    const exclude = [...this.usedCredits, ...this.named.keys()];
    const { rows } = await this.db.raw<{ rows: Array<{ id: string; amount: string; value_date: string }> }>(
      `select e.id, e.amount, e.value_date::text as value_date
         from bank_statement_entries e
        where e.currency = ? and ${UNMATCHED_CREDITS} and e.statement_id = any(?::uuid[])
          and e.amount between ? and ? and e.value_date between ?::date and ?::date
          and not (e.id = any(?::bigint[]))
        order by abs(e.value_date - ?::date), e.id
        limit ?`,
      [this.currency, this.statementIds, Math.max(minAmount, 0), maxAmount, from, to, exclude, nearest, limit],
    );
    return rows.map((r) => ({ id: String(r.id), amount: Number(r.amount), valueDate: r.value_date }));
  }

  private windowOf(p: Payout): [string, string] {
    return [addDays(p.arrivalDate, -this.rules.windowDaysBefore), addDays(p.arrivalDate, this.rules.windowDaysAfter)];
  }

  /** 4. One credit naming no payout, of the payout's amount. */
  private async matchByAmount(): Promise<void> {
    const tolerance = this.rules.amountTolerance;
    for (const p of this.payouts) {
      if (this.usedPayouts.has(p.id)) continue;
      const [from, to] = this.windowOf(p);
      const [credit] = await this.freeCredits(from, to, p.amount - tolerance, p.amount + tolerance, p.arrivalDate, 1);
      if (credit) this.take('amount_date', [p], [credit]);
    }
  }

  /** 5. Several credits naming no payout that make one payout's amount. */
  private async matchSplitsByAmount(): Promise<void> {
    const { amountTolerance: tolerance, maxCandidates, maxParts } = this.rules;
    for (const p of this.payouts) {
      if (this.usedPayouts.has(p.id)) continue;
      const [from, to] = this.windowOf(p);
      const candidates = await this.freeCredits(from, to, 1, p.amount + tolerance - 1, p.arrivalDate, maxCandidates + 1);
      // More candidates than allowed: a split cannot be told from a coincidence; finance staff decide.
      if (candidates.length > maxCandidates) continue;
      const parts = findSubset(candidates, p.amount, tolerance, maxParts);
      if (parts) this.take('amount_split', [p], parts);
    }
  }

  /** 6. One credit naming no payout that pays several payouts' sum. */
  private async matchBatchesByAmount(): Promise<void> {
    const { amountTolerance: tolerance, maxCandidates, maxParts } = this.rules;
    const left = this.payouts.filter((p) => !this.usedPayouts.has(p.id));
    if (left.length < 2 || left.length > maxCandidates) return;
    const from = addDays(left[0]!.arrivalDate, -this.rules.windowDaysBefore);
    const to = addDays(left.at(-1)!.arrivalDate, this.rules.windowDaysAfter);
    const byAmount = [...left].sort((a, b) => a.amount - b.amount);
    const smallest = byAmount[0]!.amount + byAmount[1]!.amount;
    const largest = byAmount.slice(-maxParts).reduce((sum, p) => sum + p.amount, 0);
    const credits = await this.freeCredits(from, to, smallest - tolerance, largest + tolerance, left[0]!.arrivalDate, 1_000);
    for (const credit of credits) {
      if (this.usedCredits.has(credit.id)) continue;
      const candidates = this.payouts.filter((p) => !this.usedPayouts.has(p.id) && this.inWindow(p, credit.valueDate));
      const parts = findSubset(candidates, credit.amount, tolerance, maxParts);
      if (parts) this.take('amount_batch', parts, [credit]);
    }
  }

  private take(rule: MatchRule, payouts: Payout[], credits: Credit[]): void {
    for (const p of payouts) this.usedPayouts.add(p.id);
    for (const c of credits) this.usedCredits.add(c.id);
    this.recorded.push({
      id: randomUUID(),
      rule,
      shape: payouts.length > 1 ? 'many_to_one' : credits.length > 1 ? 'one_to_many' : 'one_to_one',
      currency: this.currency,
      payoutIds: payouts.map((p) => p.id),
      entryIds: credits.map((c) => c.id),
      payoutTotal: payouts.reduce((sum, p) => sum + p.amount, 0),
      creditTotal: credits.reduce((sum, c) => sum + c.amount, 0),
    });
  }

  /** Writes the matches: the match, its credits pointing at it, its payouts matched once. */
  private async record(): Promise<RecordedMatch[]> {
    if (this.recorded.length === 0) return [];
    const payoutIds = this.recorded.flatMap((m) => m.payoutIds);
    const ledger = await this.db('journal_entries').where({ source_type: 'payout' }).whereIn('source_id', payoutIds).select<Array<{ id: string; source_id: string }>>('id', 'source_id');
    const entryOf = new Map(ledger.map((e) => [e.source_id, String(e.id)]));
    const payouts = new Map(this.payouts.map((p) => [p.id, p]));
    await this.db('bank_statement_matches').insert(
      this.recorded.map((m) => ({
        id: m.id,
        rule: m.rule,
        shape: m.shape,
        currency: m.currency,
        payout_total: m.payoutTotal,
        credit_total: m.creditTotal,
        details: JSON.stringify({
          payouts: m.payoutIds.map((id) => ({ id, amount: payouts.get(id)!.amount, arrival_date: payouts.get(id)!.arrivalDate, status: payouts.get(id)!.status, ledger_entry_id: entryOf.get(id) ?? null })),
          entry_ids: m.entryIds,
          difference: m.creditTotal - m.payoutTotal,
          ledger: 'no entry: the payout was posted (treasury_bank ← psp_receivable) when the PSP reported it paid; the credit confirms it',
        }),
      })),
    );
    await this.db('bank_statement_matched_payouts').insert(this.recorded.flatMap((m) => m.payoutIds.map((payoutId) => ({ payout_id: payoutId, match_id: m.id }))));
    await this.db.raw(
      `update bank_statement_entries e set match_id = m.match_id from unnest(?::bigint[], ?::uuid[]) as m(entry_id, match_id) where e.id = m.entry_id`,
      [this.recorded.flatMap((m) => m.entryIds), this.recorded.flatMap((m) => m.entryIds.map(() => m.id))],
    );
    return this.recorded;
  }
}

function listed(outcome: MatchingOutcome, raised: RaisedMatchException): void {
  outcome.exceptionCounts[raised.kind]++;
  if (outcome.exceptions.length < MAX_LISTED) outcome.exceptions.push(raised);
}

/** Every booked credit of the statements left unmatched: an exception each, a page at a time. */
async function raiseUnmatchedCredits(db: Db, statementIds: string[], named: Map<string, Set<string>>, outcome: MatchingOutcome): Promise<void> {
  let after = '0';
  for (;;) {
    const { rows } = await db.raw<{ rows: Array<{ id: string; amount: string; currency: string; value_date: string | null; booking_date: string | null; statement_id: string; position: number; line: number; remittance_info: string | null; bank_statement_id: string }> }>(
      `select e.id, e.amount, e.currency, e.value_date::text as value_date, e.booking_date::text as booking_date, e.statement_id, e.position, e.line, e.remittance_info, s.statement_id as bank_statement_id
         from bank_statement_entries e join bank_statements s on s.id = e.statement_id
        where e.statement_id = any(?::uuid[]) and ${UNMATCHED_CREDITS} and e.id > ?
        order by e.id limit 500`,
      [statementIds, after],
    );
    if (rows.length === 0) return;
    for (const r of rows) {
      const id = String(r.id);
      const currency = r.currency.trim();
      const payoutsNamed = [...(named.get(id) ?? [])];
      const dedupeKey = `unmatched_bank_credit:${id}`;
      const { id: exceptionId, raised } = await raiseException(db, {
        kind: 'unmatched_bank_credit',
        dedupeKey,
        currency: currency as Currency,
        amount: Number(r.amount),
        bankEntryId: id,
        ...(payoutsNamed.length === 1 ? { payoutId: payoutsNamed[0]! } : {}),
        details: {
          statement: r.statement_id,
          bank_statement_id: r.bank_statement_id,
          position: r.position,
          line: r.line,
          value_date: r.value_date,
          booking_date: r.booking_date,
          remittance_info: r.remittance_info?.slice(0, 500) ?? null,
          payouts_named: payoutsNamed,
          why: payoutsNamed.length > 0 ? `it names payout ${payoutsNamed.join(', ')}, but the amounts do not agree` : 'no payout of its amount and currency arrives within the window of its value date',
        },
      });
      listed(outcome, { id: exceptionId, kind: 'unmatched_bank_credit', dedupeKey, raised, payoutId: payoutsNamed.length === 1 ? payoutsNamed[0]! : null, bankEntryId: id, amount: Number(r.amount), currency });
    }
    after = String(rows.at(-1)!.id);
  }
}

/** Paid payouts still unmatched whose window ended within the period of one of the statements. */
async function raiseUnmatchedPayouts(db: Db, currency: string, statements: readonly BankStatement[], rules: MatchingRules, named: Map<string, Set<string>>, outcome: MatchingOutcome): Promise<void> {
  const periods = statements.map((s) => ({ from: s.fromDate ?? s.openingDate, to: s.closingDate ?? s.toDate ?? s.openingDate, statement: s.id }));
  const { rows } = await db.raw<{ rows: Array<{ id: string; amount: string; arrival_date: string; trace_id: string | null; statement_descriptor: string | null; statements: string[] }> }>(
    `select p.id, p.amount, p.arrival_date::text as arrival_date, p.trace_id, p.statement_descriptor, array_agg(distinct w.statement_id) as statements
       from payouts p
       join unnest(?::date[], ?::date[], ?::text[]) as w(period_from, period_to, statement_id)
         on p.arrival_date + ?::int between w.period_from and w.period_to
      where p.currency = ? and p.status = 'paid'
        and not exists (select 1 from bank_statement_matched_payouts m where m.payout_id = p.id)
      group by p.id
      order by p.arrival_date, p.id`,
    [periods.map((p) => p.from), periods.map((p) => p.to), periods.map((p) => p.statement), rules.windowDaysAfter, currency],
  );
  for (const r of rows) {
    const namedBy = [...named].filter(([, payouts]) => payouts.has(r.id)).map(([entry]) => entry);
    const dedupeKey = `unmatched_payout:${r.id}`;
    const amount = Number(r.amount);
    const { id, raised } = await raiseException(db, {
      kind: 'unmatched_payout',
      dedupeKey,
      currency: currency as Currency,
      expectedAmount: amount,
      payoutId: r.id,
      ...(namedBy.length === 1 ? { bankEntryId: namedBy[0]! } : {}),
      details: {
        arrival_date: r.arrival_date,
        window: { from: addDays(r.arrival_date, -rules.windowDaysBefore), to: addDays(r.arrival_date, rules.windowDaysAfter) },
        trace_id: r.trace_id,
        statement_descriptor: r.statement_descriptor,
        statements: r.statements,
        credits_naming_it: namedBy,
        why: namedBy.length > 0 ? `credit ${namedBy.join(', ')} names it, but the amounts do not agree` : 'no bank credit of its amount and currency was valued within its window',
      },
    });
    listed(outcome, { id, kind: 'unmatched_payout', dedupeKey, raised, payoutId: r.id, bankEntryId: namedBy.length === 1 ? namedBy[0]! : null, amount, currency });
  }
}
