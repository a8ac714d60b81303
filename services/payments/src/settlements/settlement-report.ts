import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { Knex } from '@tamkeen/db';
import { PayloadTooLarge, UnprocessableContent } from '@tamkeen/http-kit';
import Papa from 'papaparse';
import { CURRENCIES, isCurrency, type Currency } from '../domain/money.js';
import { payoutRepository, type PayoutRepository } from '../payouts/payout-repository.js';
import { newCounts, utcDay, type SettlementCounts, type SettlementLine, type SettlementRules } from './settlement-line.js';
import { matchPendingLines } from './settlement-matching.js';
import { holdWriterLock, countSettledBy, storeLines, type IncomingLine } from './settlement-store.js';

/** Lines stored per statement while a report streams in. */
const REPORT_BATCH = 5_000;

/**
 * A settlement report: the CSV of Stripe's itemized payout reconciliation report
 * (`payout_reconciliation.itemized.5`, as the Dashboard's "Payout reconciliation → Itemized"
 * download or the Reporting API's report run writes it; columns as documented at
 * https://docs.stripe.com/reports/report-types/payout-reconciliation), for PSPs that send files
 * rather than an API. A header line names the columns, in any order; these are read (any other is
 * ignored: card_brand, customer_facing_amount, metadata...):
 *
 * | column                                   | required | read as                                                        |
 * |------------------------------------------|----------|----------------------------------------------------------------|
 * | balance_transaction_id                   | yes      | the line's id (`txn_…`): one line per id, whatever its source   |
 * | created_utc (or created)                 | yes      | `YYYY-MM-DD HH:MM:SS` in UTC (ISO 8601 with an offset is taken)  |
 * | available_on_utc (or available_on)       | yes      | a date, or a date and time, in UTC                              |
 * | currency                                 | yes      | ISO 4217, any case: ILS, USD or JOD                             |
 * | gross, fee, net                          | yes      | major units (`150.00`, `-50.00`; JOD 3 decimals), net = gross − fee |
 * | reporting_category                       | yes      | charge, refund, dispute, dispute_reversal, payout, fee...      |
 * | source_id                                | no       | the charge, refund, dispute or payout the line is for           |
 * | description                              | no       |                                                                |
 * | automatic_payout_id                      | no       | the payout that paid it out (`po_…`)                           |
 * | automatic_payout_effective_at(_utc)      | no       | the payout's arrival day                                       |
 * | payment_intent_id, charge_id             | no       | the charge's payment intent and charge                         |
 * | refund_id, dispute_id                    | no       | the PSP's refund and dispute ids (else read from source_id)     |
 *
 * The file is read as a stream (Papa Parse): memory does not grow with it.
 */
export const REPORT_COLUMNS = {
  required: ['balance_transaction_id', 'currency', 'gross', 'fee', 'net', 'reporting_category'],
  eitherOf: [
    ['created_utc', 'created'],
    ['available_on_utc', 'available_on'],
  ],
} as const;

/** A report that cannot be taken: a 422 naming the line (1 is the header) and the column. */
export class ReportLineError extends UnprocessableContent {
  constructor(readonly line: number, readonly column: string | null, reason: string) {
    super(`Line ${line}${column ? `, column ${column}` : ''}: ${reason}. Nothing from this report was stored.`, { code: 'invalid_settlement_report', extensions: { line, column } });
  }
}

const AMOUNT = /^(-)?(\d{1,15})(?:\.(\d+))?$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Major units as text (`-150.00`) in minor units of `currency`, exactly; undefined when it is not such an amount. */
export function minorUnits(text: string, currency: Currency): number | undefined {
  const match = AMOUNT.exec(text);
  if (!match) return undefined;
  const decimals = CURRENCIES[currency];
  const fraction = match[3] ?? '';
  if (fraction.length > decimals) return undefined;
  const value = Number(match[2]) * 10 ** decimals + Number(fraction.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(value)) return undefined;
  return match[1] ? -value : value;
}

/** A report's date and time (UTC unless it says its offset); undefined when it is not one. */
export function reportInstant(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, date = '', time = '00:00:00', zone = 'Z'] = match;
  if (zone === 'Z' && time.length === 8) {
    // As Stripe writes them (YYYY-MM-DD HH:MM:SS, UTC): from the numbers, without parsing text twice.
    const [year, month, dayOfMonth, hours, minutes, seconds] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10), time.slice(0, 2), time.slice(3, 5), time.slice(6, 8)].map(Number) as [number, number, number, number, number, number];
    if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
    const at = new Date(Date.UTC(year, month - 1, dayOfMonth, hours, minutes, seconds));
    // A day that does not exist (2026-02-30) is refused, not rolled over.
    return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === dayOfMonth ? at : undefined;
  }
  const at = new Date(`${date}T${time.length === 5 ? `${time}:00` : time}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  if (Number.isNaN(at.getTime())) return undefined;
  // A day that does not exist (2026-02-30) is refused, not rolled over.
  const day = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === date ? at : undefined;
}

/**
 * reportInstant for a report's many lines, which repeat the same few times (a day's seconds, its
 * payout days): the last texts read are kept (the same Date for the same text; nothing changes one).
 */
function instantReader(): (text: string) => Date | undefined {
  const seen = new Map<string, Date | undefined>();
  return (text) => {
    if (seen.has(text)) return seen.get(text);
    if (seen.size >= 10_000) seen.clear();
    const at = reportInstant(text);
    seen.set(text, at);
    return at;
  };
}

const prefixed = (id: string | null, ...prefixes: string[]) => (id && prefixes.some((p) => id.startsWith(p)) ? id : null);

class LineTooLong extends Error {}

/** The longest stretch of a report without a line break taken (an unterminated quote would otherwise hold the rest of the file in memory). */
const MAX_LINE_BYTES = 1_000_000;

/**
 * The report's lines, one at a time as the stream is read, each with its line number; a line
 * that is wrong throws a ReportLineError naming it, a file larger than `maxBytes` a 413. `onChunk`
 * sees every byte read (the file's hash). Parsed by Papa Parse (RFC 4180: quoted fields with
 * commas, quotes and line breaks), a chunk of rows at a time, the file paused while a few are
 * waiting to be taken; line numbers count the line breaks inside quoted fields too, and empty lines.
 */
export async function* reportLines(source: Readable, { maxBytes, onChunk }: { maxBytes: number; onChunk?: (chunk: Buffer) => void }): AsyncGenerator<{ line: SettlementLine; lineNumber: number }> {
  let bytes = 0;
  let sinceBreak = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new PayloadTooLarge(`A settlement report may be at most ${maxBytes} bytes.`));
      const lastBreak = chunk.lastIndexOf(0x0a);
      sinceBreak = lastBreak === -1 ? sinceBreak + chunk.length : chunk.length - lastBreak - 1;
      if (sinceBreak > MAX_LINE_BYTES) return done(new LineTooLong());
      onChunk?.(chunk);
      done(null, chunk);
    },
  });
  // Decoded here, so that a character split between two chunks is joined.
  meter.setEncoding('utf8');
  // Not pipeline(): a failure must not destroy the request, whose response (the 413 or 422) is still to be sent.
  source.on('error', (error) => meter.destroy(error));
  source.pipe(meter);

  const chunks: Array<{ rows: string[][]; errors: Papa.ParseError[] }> = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const woken = () => {
    wake?.();
    wake = undefined;
  };
  Papa.parse<string[]>(meter as unknown as NodeJS.ReadableStream, {
    delimiter: ',',
    chunk(results) {
      chunks.push({ rows: results.data, errors: results.errors });
      // Papa Parse's own pause() stops parsing but not the stream: the file itself waits while rows are taken.
      if (chunks.length >= 8) meter.pause();
      woken();
    },
    complete() {
      finished = true;
      woken();
    },
    error(error) {
      failure = error;
      woken();
    },
  });

  let header: Map<string, number> | undefined;
  let lineNumber = 0;
  const instant = instantReader();
  for (;;) {
    const chunk = chunks.shift();
    if (!chunk) {
      if (failure) throw failure instanceof LineTooLong ? new ReportLineError(lineNumber + 1, null, `a line longer than ${MAX_LINE_BYTES} bytes (a quote that is never closed?)`) : failure;
      if (finished) break;
      const next = new Promise<void>((resolve) => (wake = resolve));
      if (meter.isPaused()) meter.resume();
      await next;
      continue;
    }
    // Between chunks, what else waits runs (the database's answers to the lines being stored), so that it is not held up by parsing.
    await new Promise((resolve) => setImmediate(resolve));
    const firstError = chunk.errors.find((e) => e.code !== 'UndetectableDelimiter');
    for (let index = 0; index < chunk.rows.length; index++) {
      const record = chunk.rows[index]!;
      lineNumber += 1;
      if (firstError && firstError.row === index) throw malformed(lineNumber, firstError);
      const breaks = lineBreaksIn(record);
      // An empty line (or the file's last line break).
      if (record.length === 1 && record[0]!.trim() === '') {
        lineNumber += breaks;
        continue;
      }
      if (!header) {
        header = new Map(record.map((name, i) => [name.trim().replace(/^\uFEFF/, '').toLowerCase(), i]));
        for (const name of REPORT_COLUMNS.required) if (!header.has(name)) throw new ReportLineError(lineNumber, name, `the header has no ${name} column (a Stripe payout reconciliation report, itemized, has it)`);
        for (const names of REPORT_COLUMNS.eitherOf) if (!names.some((n) => header!.has(n))) throw new ReportLineError(lineNumber, names[0], `the header has no ${names.join(' or ')} column`);
      } else {
        if (record.length !== header.size) throw new ReportLineError(lineNumber, null, `not well-formed CSV (the line has ${record.length} fields, the header ${header.size})`);
        yield { line: lineOf(record, header, lineNumber, instant), lineNumber };
      }
      lineNumber += breaks;
    }
    if (firstError && (firstError.row === undefined || firstError.row >= chunk.rows.length)) throw malformed(lineNumber, firstError);
  }
  if (!header) throw new ReportLineError(1, null, 'the report is empty: it has no header line');
}

/** What Papa Parse found wrong at `lineNumber`, as the report's refusal. */
const malformed = (lineNumber: number, error: Papa.ParseError) => new ReportLineError(lineNumber, null, `not well-formed CSV (${error.code}: ${error.message})`);

/** The line breaks inside a record's quoted fields: the lines it takes beyond its first. */
function lineBreaksIn(record: string[]): number {
  let breaks = 0;
  for (const field of record) {
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) breaks += 1;
  }
  return breaks;
}

function lineOf(record: string[], header: Map<string, number>, lineNumber: number, instant: (text: string) => Date | undefined): SettlementLine {
  const text = (column: string): string | null => {
    const index = header.get(column);
    const value = index === undefined ? undefined : record[index];
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? null : trimmed;
  };
  const required = (column: string): string => {
    const value = text(column);
    if (value === null) throw new ReportLineError(lineNumber, column, 'is empty');
    return value;
  };
  const firstOf = (columns: readonly string[]) => columns.find((c) => text(c) !== null) ?? columns[0]!;
  const id = required('balance_transaction_id');
  if (id.length > 255) throw new ReportLineError(lineNumber, 'balance_transaction_id', 'is longer than 255 characters');
  const currencyText = required('currency').toUpperCase();
  if (!isCurrency(currencyText)) throw new ReportLineError(lineNumber, 'currency', `is ${currencyText}, not a currency this platform takes (${Object.keys(CURRENCIES).join(', ')})`);
  const currency = currencyText;
  const amountOf = (column: string) => {
    const value = minorUnits(required(column), currency);
    if (value === undefined) throw new ReportLineError(lineNumber, column, `must be an amount in major units of ${currency} with at most ${CURRENCIES[currency]} decimals (such as ${(-1.5).toFixed(CURRENCIES[currency])}), not "${text(column)?.slice(0, 40)}"`);
    return value;
  };
  const instantOf = (columns: readonly string[]) => {
    const column = firstOf(columns);
    const value = instant(required(column));
    if (!value) throw new ReportLineError(lineNumber, column, `must be a date and time in UTC (YYYY-MM-DD HH:MM:SS), not "${text(column)?.slice(0, 40)}"`);
    return value;
  };
  const gross = amountOf('gross');
  const fee = amountOf('fee');
  const net = amountOf('net');
  if (net !== gross - fee) throw new ReportLineError(lineNumber, 'net', `is not gross − fee (${text('gross')} − ${text('fee')})`);
  const created = instantOf(['created_utc', 'created']);
  const availableOn = instantOf(['available_on_utc', 'available_on']);
  const effective = firstOf(['automatic_payout_effective_at_utc', 'automatic_payout_effective_at']);
  const payoutDay = text(effective);
  let payoutDate: string | null = null;
  if (payoutDay !== null) {
    const at = instant(payoutDay);
    if (!at) throw new ReportLineError(lineNumber, effective, `must be a date (YYYY-MM-DD), not "${payoutDay.slice(0, 40)}"`);
    payoutDate = utcDay(at);
  }
  const category = required('reporting_category');
  const sourceId = text('source_id');
  return {
    id,
    type: null,
    reportingCategory: category,
    amount: gross,
    fee,
    net,
    currency,
    created,
    availableOn,
    description: text('description'),
    sourceId,
    chargeId: text('charge_id') ?? prefixed(sourceId, 'ch_', 'py_'),
    paymentIntentId: text('payment_intent_id'),
    refundId: text('refund_id') ?? prefixed(sourceId, 're_', 'pyr_'),
    disputeId: text('dispute_id') ?? prefixed(sourceId, 'du_', 'dp_'),
    payoutId: text('automatic_payout_id') ?? (category === 'payout' ? prefixed(sourceId, 'po_') : null),
    payoutDate,
  };
}

export interface ImportOptions {
  knex: Knex;
  rules: SettlementRules;
  /** Who imported it (the finance officer's subject, or the machine client). */
  importedBy: string;
  maxBytes: number;
  now: () => Date;
  payouts?: PayoutRepository;
}

export interface ImportedReport {
  id: string;
  sha256: string;
  counts: SettlementCounts;
}

/**
 * Imports a settlement report: every line read and stored in one transaction as the file streams
 * in, so that a wrong line (or a file too large) stores nothing at all; a payout's own line (category
 * `payout`) stores the payout as paid, posted once (as its webhook would); then the lines are
 * matched and the payments paid out settled, as after a pull. The same line as the pull's (or an
 * earlier report's) is the same line: importing a report again adds nothing.
 */
export async function importSettlementReport(body: Readable, { knex, rules, importedBy, maxBytes, now, payouts = payoutRepository(knex) }: ImportOptions): Promise<ImportedReport> {
  const counts = newCounts();
  const hash = createHash('sha256');
  const id = randomUUID();
  const linked: string[] = [];
  await knex.transaction(async (trx) => {
    await holdWriterLock(trx);
    let batch: IncomingLine[] = [];
    // The batch being written while the next is read (one at a time: the transaction has one connection).
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      writing = storeLines(trx, lines, 'report', counts, { reportId: id, writerLockHeld: true }).then((stored) => {
        linked.push(...stored.linked);
      });
      // A failed write is seen at the next flush (or the last); meanwhile it must not be unhandled.
      writing.catch(() => {});
    };
    for await (const { line, lineNumber } of reportLines(body, { maxBytes, onChunk: (chunk) => hash.update(chunk) })) {
      if (line.reportingCategory === 'payout' && line.payoutId && -line.amount > 0 && isCurrency(line.currency)) {
        await writing;
        const { posted } = await payouts.record(
          trx,
          {
            payoutId: line.payoutId,
            amount: { amount: -line.amount, currency: line.currency },
            status: 'paid',
            arrivalDate: line.payoutDate ?? line.created.toISOString().slice(0, 10),
            created: line.created,
            automatic: true,
            balanceTransactionId: line.id,
            destination: null,
            statementDescriptor: null,
            traceId: null,
            failureCode: null,
          },
          now(),
        );
        counts.payouts.seen += 1;
        if (posted.includes('payout')) counts.payouts.posted += 1;
      }
      batch.push({ line, lineNumber });
      if (batch.length >= REPORT_BATCH) await flush();
    }
    await flush();
    await writing;
    await trx('settlement_reports').insert({ id, sha256: hash.digest('hex'), lines: counts.lines.seen, new_lines: counts.lines.new, imported_by: importedBy });
  });
  // (Linked lines first: a pending one is counted when it is matched, not twice.)
  await countSettledBy(knex, linked, counts);
  await matchPendingLines(knex, rules, counts);
  const { sha256 } = (await knex('settlement_reports').where({ id }).first<{ sha256: string }>('sha256'))!;
  return { id, sha256, counts };
}
