import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { testPayments, type TestPayments } from '../test-payments.js';
import { newCounts, type SettlementLine } from './settlement-line.js';
import { holdWriterLock, storeLines, WRITER_LOCK } from './settlement-store.js';

// Storing settlement lines is a plain insert of the ids not stored yet (not ON CONFLICT): what
// keeps two writers from inserting the same line is that one transaction at a time stores lines.

let service: TestPayments;
beforeAll(async () => {
  service = await testPayments('settlement line store');
});
afterAll(() => service.close());

const knex = () => service.stores.knex;
const line = (id: string, amount = 15_000): SettlementLine => ({
  id,
  type: null,
  reportingCategory: 'charge',
  amount,
  fee: 450,
  net: amount - 450,
  currency: 'ILS',
  created: new Date('2026-11-20T10:00:00Z'),
  availableOn: new Date('2026-11-22T00:00:00Z'),
  description: null,
  sourceId: null,
  chargeId: null,
  paymentIntentId: null,
  refundId: null,
  disputeId: null,
  payoutId: null,
  payoutDate: null,
});

describe('storing settlement lines', () => {
  it('makes a second writer wait for the first, then finds its lines stored: the same line once, another version an exception', async () => {
    const first = await knex().transaction();
    await holdWriterLock(first);
    await storeLines(first, [{ line: line('txn_race_1') }, { line: line('txn_race_2') }], 'report', newCounts(), { writerLockHeld: true });
    // The pull's page, meanwhile: it waits for the report's transaction.
    const counts = newCounts();
    let finished = false;
    const second = knex()
      .transaction((trx) => storeLines(trx, [{ line: line('txn_race_1') }, { line: line('txn_race_2', 14_000) }, { line: line('txn_race_3') }], 'pull', counts))
      .then(() => (finished = true));
    // It is seen waiting for the writers' lock, and has stored nothing.
    // (pg_locks is the whole server's: only this database's writers' lock counts, whatever other test files do meanwhile.)
    const waiting = async () =>
      (
        await knex().raw<{ rows: Array<{ n: number }> }>(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and objid = ? and database = (select oid from pg_database where datname = current_database())`,
          [WRITER_LOCK],
        )
      ).rows[0]!.n;
    await waitFor(async () => (await waiting()) === 1, { what: 'the second writer waiting for the lock', timeoutMs: 5_000 });
    expect(finished).toBe(false);
    await first.commit();
    await second;
    expect(counts.lines).toEqual({ seen: 3, new: 1, updated: 0, conflicting: 1 });
    expect((await knex()('settlement_lines').whereIn('id', ['txn_race_1', 'txn_race_2', 'txn_race_3']).orderBy('id')).map((l: { id: string; amount: string }) => [l.id, Number(l.amount)])).toEqual([
      ['txn_race_1', 15_000],
      ['txn_race_2', 15_000],
      ['txn_race_3', 15_000],
    ]);
    expect(await knex()('reconciliation_exceptions').where({ kind: 'duplicate_line', balance_transaction_id: 'txn_race_2' })).toHaveLength(1);
  });

  it('stores a line repeated within one batch once, and raises its other version once', async () => {
    const counts = newCounts();
    await knex().transaction((trx) => storeLines(trx, [{ line: line('txn_twice') }, { line: line('txn_twice') }, { line: line('txn_twice', 1) }], 'report', counts));
    expect(counts.lines).toEqual({ seen: 3, new: 1, updated: 0, conflicting: 1 });
    expect(await knex()('settlement_lines').where({ id: 'txn_twice' })).toHaveLength(1);
  });
});

describe('what a line says', () => {
  it('is stored exactly, whatever characters its text holds (tabs, line breaks, backslashes, Arabic)', async () => {
    const description = 'رسوم\tتجديد\njawaz \\N C:\\path\r\n"quoted"';
    await knex().transaction((trx) => storeLines(trx, [{ line: { ...line('txn_text'), description, sourceId: '\\N' } }], 'report', newCounts()));
    expect(await knex()('settlement_lines').where({ id: 'txn_text' }).first('description', 'source_id', 'type')).toEqual({ description, source_id: '\\N', type: null });
  });
});
