import type { Knex } from '@tamkeen/db';
import { parseCamt053 } from './camt053-parser.js';
import { parseMt940 } from './mt940-parser.js';
import type { MatchingRules, TreasuryAccount } from './statement-config.js';
import { importStatements, StatementConflict, StatementRejected } from './statement-import.js';
import { StatementFormatError, type FilePosition, type StatementFormat } from './statement-model.js';
import { statementRepository, type BankStatement, type BankStatementEntry } from './statement-repository.js';

/** What came of one uploaded file: what the console shows in words. */
export type StatementUpload =
  | {
      outcome: 'accepted';
      format: StatementFormat;
      statements: Array<{ outcome: 'imported' | 'already_imported'; statement: BankStatement }>;
      /** Payouts matched to the statements' credits. */
      matched: number;
      exceptions: { unmatched_bank_credit: number; unmatched_payout: number };
    }
  /** Nothing was stored. `reason` is the parser's or the check's own words (English); `at` where in the file. */
  | { outcome: 'rejected'; reason: string; at?: FilePosition; statement?: number }
  /** The same statement was imported before with other content: nothing was stored. */
  | { outcome: 'conflict'; reason: string; existingId: string }
  | { outcome: 'too_large'; maxBytes: number }
  | { outcome: 'empty' };

export interface StatementUploads {
  /** Imports one file (camt.053 or MT940, told apart by its first bytes) as `actor`: all of it, or nothing. */
  upload(file: AsyncIterable<Uint8Array>, actor: string): Promise<StatementUpload>;
  /** The statements imported last, newest first. */
  recent(limit: number): Promise<BankStatement[]>;
  /** One statement, its first `limit` entries in file order, and the payouts its credits matched. */
  statement(id: string, limit: number): Promise<StatementShown | undefined>;
}

export interface StatementShown {
  statement: BankStatement;
  entries: BankStatementEntry[];
  /** The payouts each matched entry's match paid in (by entry id). */
  payoutsOf: Map<string, string[]>;
}

class TooLarge extends Error {}

/**
 * The file's format from its first bytes: XML (a byte-order mark, a declaration or an element)
 * is camt.053; anything else is read as MT940 (which starts with `{1:` or `:20:`).
 */
export function formatOfContent(head: Uint8Array): StatementFormat {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'camt.053';
  const text = Buffer.from(head.subarray(0, 64)).toString('latin1').replace(/^\xef\xbb\xbf/, '').trimStart();
  return text.startsWith('<') ? 'camt.053' : 'mt940';
}

/**
 * Statement upload for people (the finance console): the same import as the statements API
 * (statement-import.ts: checked, all or nothing, idempotent, then matched to payouts), from a file
 * whose format is read from its content rather than a Content-Type, with every refusal an outcome.
 */
export function statementUploads(knex: Knex, { accounts, rules, maxBytes }: { accounts: readonly TreasuryAccount[]; rules: MatchingRules; maxBytes: number }): StatementUploads {
  return {
    async upload(file, actor) {
      const iterator = file[Symbol.asyncIterator]();
      let first = await iterator.next();
      while (!first.done && first.value.length === 0) first = await iterator.next();
      if (first.done) return { outcome: 'empty' };
      const head = first.value;
      const format = formatOfContent(head);
      let total = 0;
      async function* bytes(): AsyncGenerator<Uint8Array> {
        for (let next: IteratorResult<Uint8Array> = { done: false, value: head }; !next.done; next = await iterator.next()) {
          total += next.value.length;
          if (total > maxBytes) throw new TooLarge();
          yield next.value;
        }
      }
      const events = format === 'camt.053' ? parseCamt053(bytes()) : parseMt940(bytes());
      try {
        const result = await importStatements(knex, events, { accounts, rules, importedBy: actor });
        const matched = new Set(result.matching.matches.flatMap((m) => m.payoutIds)).size;
        return { outcome: 'accepted', format, statements: result.statements, matched, exceptions: result.matching.exceptionCounts };
      } catch (error) {
        if (error instanceof TooLarge) return { outcome: 'too_large', maxBytes };
        if (error instanceof StatementFormatError) return { outcome: 'rejected', reason: error.message, at: error.at };
        if (error instanceof StatementRejected) return { outcome: 'rejected', reason: error.reason, at: error.at, statement: error.statementIndex };
        if (error instanceof StatementConflict) return { outcome: 'conflict', reason: error.message, existingId: error.existingId };
        throw error;
      } finally {
        // Whatever the parser left unread is drained, so the rest of the upload does not hang.
        await iterator.return?.();
      }
    },
    async recent(limit) {
      return statementRepository(knex).list({ limit });
    },
    async statement(id, limit) {
      const repository = statementRepository(knex);
      const statement = await repository.byId(id);
      if (!statement) return undefined;
      const [entries, matches] = await Promise.all([repository.entries(id, { limit }), repository.matchesOf(id)]);
      const payoutsOf = new Map<string, string[]>();
      for (const match of matches) for (const entryId of match.entryIds) payoutsOf.set(entryId, match.payoutIds);
      return { statement, entries: entries.slice(0, limit), payoutsOf };
    },
  };
}
