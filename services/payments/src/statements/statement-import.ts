import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Knex } from '@tamkeen/db';
import { matchBankCredits, type MatchingOutcome } from './payout-matching.js';
import { findTreasuryAccount, type MatchingRules, type TreasuryAccount } from './statement-config.js';
import { describePosition, formatMinor, type Balance, type FilePosition, type StatementEnd, type StatementEntry, type StatementEvent, type StatementHeader } from './statement-model.js';
import { statementRepository, type BankStatement } from './statement-repository.js';

/**
 * A statement that cannot be accepted: its file is well formed, but it is not a statement of one of
 * the treasury's accounts in its currency, or its balances do not add up. Says where and why.
 */
export class StatementRejected extends Error {
  override name = 'StatementRejected';
  constructor(
    /** Why, without the place. */
    readonly reason: string,
    readonly at: FilePosition,
    readonly statementIndex: number,
  ) {
    super(`statement ${statementIndex}, ${describePosition(at)}: ${reason}`);
  }
}

/** A statement imported before under the same identity, with another content. */
export class StatementConflict extends Error {
  override name = 'StatementConflict';
  constructor(
    message: string,
    readonly existingId: string,
    readonly statementIndex: number,
  ) {
    super(message);
  }
}

export interface ImportOptions {
  accounts: readonly TreasuryAccount[];
  rules: MatchingRules;
  /** Who imports it (the caller's subject or client id): recorded with the statement. */
  importedBy: string;
  /** Entries per INSERT while the file streams. */
  batchSize?: number;
}

export interface ImportedStatement {
  /** `already_imported`: the same statement (same identity and content) was imported before; nothing was added. */
  outcome: 'imported' | 'already_imported';
  statement: BankStatement;
}

export interface ImportResult {
  statements: ImportedStatement[];
  matching: MatchingOutcome;
}

/**
 * Imports the statements a parser reads from one file, in one transaction: every statement is
 * checked before the transaction commits, and any failure (a file that is not well formed, a
 * statement of an account that is not the treasury's, a currency that is not the account's, an
 * opening balance plus credits minus debits that is not the closing balance, a statement imported
 * before with another content) rolls it all back: nothing is stored.
 *
 * Entries are written in batches as the parser yields them (the parser is not asked for more
 * until a batch is written), so memory stays flat whatever the number of entries. A statement
 * imported before with the same content (same account, id, sequence and opening day, same
 * SHA-256 of what was read) adds nothing and is answered `already_imported`.
 *
 * The statements imported are then matched against the PSP's payouts (payout-matching.ts) in the
 * same transaction, so a statement and what it matched are stored together.
 */
export async function importStatements(knex: Knex, events: AsyncIterable<StatementEvent>, options: ImportOptions): Promise<ImportResult> {
  return knex.transaction(async (trx) => {
    const statements: ImportedStatement[] = [];
    let writer: StatementWriter | null = null;
    for await (const event of events) {
      if (event.kind === 'statement') writer = await StatementWriter.begin(trx, event.header, options);
      else if (event.kind === 'entry') await writer!.add(event.entry);
      else {
        statements.push(await writer!.end(event.end));
        writer = null;
      }
    }
    const imported = statements.filter((s) => s.outcome === 'imported').map((s) => s.statement);
    const matching = await matchBankCredits(trx, imported, options.rules);
    return { statements, matching };
  });
}

interface Existing {
  id: string;
  content_hash: string | null;
  imported_at: Date;
  entry_count: number;
}

const ENTRY_INSERT = `insert into bank_statement_entries
  (statement_id, position, line, amount, currency, direction, status, reversal, booking_date, value_date, end_to_end_id, account_servicer_ref, customer_ref, remittance_info, additional_info, bank_transaction_code)
  select ?::uuid, * from unnest(?::int[], ?::int[], ?::bigint[], ?::char(3)[], ?::text[], ?::text[], ?::boolean[], ?::date[], ?::date[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])`;

/** One statement being imported: checks what it reads, hashes it, and writes its entries in batches. */
class StatementWriter {
  private readonly hash: Hash = createHash('sha256');
  private batch: StatementEntry[] = [];
  /** The batch being written while the next one is read (one at a time). */
  private writing: Promise<unknown> | null = null;
  private entries = 0;
  private credits = { count: 0, total: 0n };
  private debits = { count: 0, total: 0n };

  private constructor(
    private readonly trx: Knex.Transaction,
    private readonly header: StatementHeader,
    private readonly account: TreasuryAccount,
    private readonly opening: Balance & { date: string },
    /** Set when the same identity was imported before: nothing is written, the content is compared. */
    private readonly existing: Existing | undefined,
    private readonly id: string,
    private readonly batchSize: number,
  ) {}

  static async begin(trx: Knex.Transaction, header: StatementHeader, { accounts, importedBy, batchSize = 5_000 }: ImportOptions): Promise<StatementWriter> {
    const reject = (message: string, at: FilePosition): never => {
      throw new StatementRejected(message, at, header.index);
    };
    const named = header.account.iban ?? header.account.other ?? '';
    const account = findTreasuryAccount(accounts, header.account);
    if (!account) {
      reject(
        accounts.length === 0
          ? `the account ${named} is not one of the treasury's accounts: none is configured (TREASURY_ACCOUNTS)`
          : `the account ${named} is not one of the treasury's accounts (${accounts.map((a) => `${a.account} ${a.currency}`).join(', ')})`,
        header.account.at,
      );
    }
    const known = account!;
    if (header.account.currency && header.account.currency !== known.currency) reject(`the account's currency is ${header.account.currency}, but the treasury's account ${known.account} (${known.name}) is in ${known.currency}`, header.account.at);
    const opening = header.opening;
    if (!opening) reject(header.format === 'mt940' ? 'the statement has no opening balance (:60F:)' : 'the statement has no opening balance (a Bal of type OPBD, or PRCD)', header.at);
    if (opening!.currency !== known.currency) reject(`the opening balance is in ${opening!.currency}, but the account ${known.account} is in ${known.currency}`, opening!.at);
    if (!opening!.date) reject('the opening balance has no date', opening!.at);
    const dated = opening as Balance & { date: string };

    const identity = { account: known.account, statement_id: header.statementId, sequence: header.sequence ?? '', opening_date: dated.date };
    const findExisting = () => trx('bank_statements').where(identity).first<Existing | undefined>('id', 'content_hash', 'imported_at', 'entry_count');
    let existing = await findExisting();
    let id = existing?.id ?? randomUUID();
    if (!existing) {
      const inserted = await trx('bank_statements')
        .insert({
          id,
          format: header.format,
          format_version: header.formatVersion,
          ...identity,
          account_name: known.name,
          currency: known.currency,
          bank_created_at: header.createdAt,
          from_date: header.fromDate,
          to_date: header.toDate,
          opening_balance: dated.amount,
          imported_by: importedBy,
        })
        .onConflict(['account', 'statement_id', 'sequence', 'opening_date'])
        .ignore()
        .returning<Array<{ id: string }>>('id');
      // Another import of the same statement committed meanwhile: compare with it instead.
      if (inserted.length === 0) {
        existing = await findExisting();
        id = existing!.id;
      }
    }
    const writer = new StatementWriter(trx, header, known, dated, existing, id, batchSize);
    writer.hash.update(JSON.stringify([known.account, header.statementId, header.sequence, dated.amount, dated.currency, dated.date]));
    return writer;
  }

  private reject(message: string, at: FilePosition): never {
    throw new StatementRejected(message, at, this.header.index);
  }

  async add(entry: StatementEntry): Promise<void> {
    if (entry.currency !== this.account.currency) this.reject(`the entry is in ${entry.currency}, but the account ${this.account.account} is in ${this.account.currency}`, entry.at);
    this.entries++;
    if (entry.status === 'booked') {
      const side = entry.direction === 'credit' ? this.credits : this.debits;
      side.count++;
      side.total += BigInt(entry.amount);
    }
    this.hash.update(
      JSON.stringify([entry.amount, entry.direction, entry.status, entry.reversal, entry.bookingDate, entry.valueDate, entry.endToEndId, entry.accountServicerRef, entry.customerRef, entry.remittanceInfo, entry.additionalInfo, entry.bankTransactionCode]),
    );
    if (this.existing) return;
    this.batch.push(entry);
    if (this.batch.length >= this.batchSize) await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const column = <T>(pick: (e: StatementEntry) => T) => batch.map(pick);
    // One batch in flight: the file is read on while the database writes the last batch.
    await this.writing;
    const bindings: unknown[] = [
      this.id,
      column((e) => e.index),
      column((e) => e.at.line),
      column((e) => e.amount),
      column((e) => e.currency),
      column((e) => e.direction),
      column((e) => e.status),
      column((e) => e.reversal),
      column((e) => e.bookingDate),
      column((e) => e.valueDate),
      column((e) => e.endToEndId),
      column((e) => e.accountServicerRef),
      column((e) => e.customerRef),
      column((e) => e.remittanceInfo),
      column((e) => e.additionalInfo),
      column((e) => e.bankTransactionCode),
    ];
    const writing = this.trx.raw(ENTRY_INSERT, bindings as Knex.RawBinding[]).then(() => undefined);
    // Its failure is thrown where it is awaited (the next batch, or the end), not reported as unhandled meanwhile.
    writing.catch(() => undefined);
    this.writing = writing;
  }

  async end(end: StatementEnd): Promise<ImportedStatement> {
    const closing = end.closing;
    const account = this.account;
    if (!closing) this.reject(this.header.format === 'mt940' ? 'the statement has no closing balance (:62F:)' : 'the statement has no closing balance (a Bal of type CLBD)', end.at);
    if (closing.currency !== account.currency) this.reject(`the closing balance is in ${closing.currency}, but the account ${account.account} is in ${account.currency}`, closing.at);
    const expected = BigInt(this.opening.amount) + this.credits.total - this.debits.total;
    if (BigInt(closing.amount) !== expected) {
      const c = account.currency;
      this.reject(
        `the closing balance ${formatMinor(closing.amount, c)} is not the opening balance ${formatMinor(this.opening.amount, c)} plus ${this.credits.count} credits of ${formatMinor(this.credits.total, c)} minus ${this.debits.count} debits of ${formatMinor(this.debits.total, c)}, which is ${formatMinor(expected, c)} (${formatMinor(BigInt(closing.amount) - expected, c)} apart)`,
        closing.at,
      );
    }
    this.hash.update(JSON.stringify([closing.amount, closing.date]));
    const contentHash = this.hash.digest('hex');
    const repository = statementRepository(this.trx as unknown as Knex);
    if (this.existing) {
      if (this.existing.content_hash !== contentHash) {
        throw new StatementConflict(
          `statement ${this.header.index} (${this.header.statementId}${this.header.sequence ? `, sequence ${this.header.sequence}` : ''}, account ${account.account}, opening ${this.opening.date}) was imported on ${this.existing.imported_at.toISOString()} with other content (${this.existing.entry_count} entries; this file has ${this.entries}): a corrected statement must come with a new statement id or sequence`,
          this.existing.id,
          this.header.index,
        );
      }
      return { outcome: 'already_imported', statement: (await repository.byId(this.existing.id, this.trx))! };
    }
    await this.flush();
    await this.writing;
    await this.trx('bank_statements')
      .where({ id: this.id })
      .update({
        closing_balance: closing.amount,
        closing_date: closing.date,
        to_date: this.header.toDate ?? closing.date,
        entry_count: this.entries,
        credit_count: this.credits.count,
        credit_total: this.credits.total.toString(),
        debit_count: this.debits.count,
        debit_total: this.debits.total.toString(),
        content_hash: contentHash,
      });
    return { outcome: 'imported', statement: (await repository.byId(this.id, this.trx))! };
  }
}
