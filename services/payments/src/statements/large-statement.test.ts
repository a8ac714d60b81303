import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import { parseCamt053 } from './camt053-parser.js';
import { parseMt940 } from './mt940-parser.js';
import { DEFAULT_MATCHING_RULES } from './statement-config.js';
import { importStatements } from './statement-import.js';
import { CAMT_DOCUMENT_TAIL, camtDocumentHead, camtEntry, camtStatementHead, mtEntry, mtStatementHead, mtStatementTail, type GeneratedEntry } from './test-statements.js';

/**
 * A large statement streams: the heap does not grow with the number of entries. The files are
 * generated as they are read (never whole in memory), and the heap is sampled while they are.
 */
const ACCOUNT = 'PS92PALS000000000400123456701';
const MB = 1024 * 1024;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('large bank statements', migrations);
});
afterAll(() => db.drop());

const entryOf = (i: number): GeneratedEntry => ({
  amount: (i % 997) + 1,
  // Mostly debits: a credit that no payout explains is an exception each, which is not what this measures.
  direction: i % 50_000 === 1 ? 'credit' : 'debit',
  valueDate: '2026-02-02',
  text: `CITIZEN TRANSFER ${i} REF ${(i * 7919) % 1_000_003}`,
  endToEndId: `E2E${i}`,
});

function closingAfter(entries: number): number {
  let closing = 0;
  for (let i = 0; i < entries; i++) {
    const e = entryOf(i);
    closing += e.direction === 'credit' ? e.amount : -e.amount;
  }
  return closing;
}

// A full collection before each sample, so that what is measured is what is kept, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapNow(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** A file made as it is read, in chunks of about 64 KB, sampling the heap at each. */
async function* generated(head: string, entries: number, entry: (i: number) => string, tail: string, heap: { peak: number }): AsyncGenerator<string> {
  yield head;
  let chunk = '';
  for (let i = 0; i < entries; i++) {
    chunk += entry(i);
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
      if (i % 25_000 < 300) heap.peak = Math.max(heap.peak, heapNow());
    }
  }
  yield chunk + tail;
}

const statementOf = (entries: number) => ({ account: ACCOUNT, currency: 'ILS', id: `LARGE-${entries}`, sequence: '1', openingDate: '2026-02-02', closingDate: '2026-02-02', opening: 0, closing: closingAfter(entries) });

describe('a large statement', () => {
  it('parses 1,000,000 MT940 entries with a flat heap', async () => {
    const entries = 1_000_000;
    const s = statementOf(entries);
    const baseline = heapNow();
    const heap = { peak: baseline };
    let read = 0;
    let sum = 0;
    for await (const event of parseMt940(generated(mtStatementHead(s), entries, (i) => mtEntry(entryOf(i), 'ILS'), mtStatementTail(s), heap))) {
      if (event.kind === 'entry') {
        read++;
        sum += event.entry.direction === 'credit' ? event.entry.amount : -event.entry.amount;
      }
    }
    expect(read).toBe(entries);
    expect(sum).toBe(s.closing);
    // Holding the entries would take hundreds of megabytes; streaming keeps a chunk's worth.
    if (process.env.STATEMENT_BENCH_LOG) process.stderr.write(`heap growth ${Math.round((heap.peak - baseline) / MB)} MB\n`);
    expect(heap.peak - baseline).toBeLessThan(16 * MB);
  }, 120_000);

  it('parses 300,000 camt.053 entries with a flat heap', async () => {
    const entries = 300_000;
    const s = statementOf(entries);
    const baseline = heapNow();
    const heap = { peak: baseline };
    let read = 0;
    for await (const event of parseCamt053(generated(camtDocumentHead() + camtStatementHead(s), entries, (i) => camtEntry(entryOf(i), 'ILS'), `    </Stmt>\n${CAMT_DOCUMENT_TAIL}`, heap))) {
      if (event.kind === 'entry') read++;
    }
    expect(read).toBe(entries);
    if (process.env.STATEMENT_BENCH_LOG) process.stderr.write(`heap growth ${Math.round((heap.peak - baseline) / MB)} MB\n`);
    expect(heap.peak - baseline).toBeLessThan(16 * MB);
  }, 120_000);

  it('imports 200,000 entries into the database in one transaction with a flat heap', async () => {
    const entries = 200_000;
    const s = statementOf(entries);
    const baseline = heapNow();
    const heap = { peak: baseline };
    const started = Date.now();
    const result = await importStatements(db.knex, parseMt940(generated(mtStatementHead(s), entries, (i) => mtEntry(entryOf(i), 'ILS'), mtStatementTail(s), heap)), {
      accounts: [{ account: ACCOUNT, currency: 'ILS', name: 'Treasury ILS' }],
      rules: DEFAULT_MATCHING_RULES,
      importedBy: 'test',
    });
    const seconds = (Date.now() - started) / 1000;
    expect(result.statements).toEqual([expect.objectContaining({ outcome: 'imported', statement: expect.objectContaining({ entryCount: entries, closingBalance: s.closing }) })]);
    const stored = await db.knex('bank_statement_entries').count<Array<{ n: string }>>('* as n');
    expect(Number(stored[0]!.n)).toBe(entries);
    if (process.env.STATEMENT_BENCH_LOG) process.stderr.write(`heap growth ${Math.round((heap.peak - baseline) / MB)} MB, ${seconds} s\n`);
    expect(heap.peak - baseline).toBeLessThan(32 * MB);
    // No payout explains the few credits: an exception each.
    expect(result.matching.exceptionCounts.unmatched_bank_credit).toBe(entries / 50_000);
    expect(seconds).toBeLessThan(110);
  }, 180_000);
});
