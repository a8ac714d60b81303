import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from './migrations/index.js';

let db: TestDatabase;
let cash: number;
let fees: number;
let cashJod: number;

beforeAll(async () => {
  db = await createTestDatabase('payments ledger', migrations);
  const accounts = await db.knex('ledger_accounts')
    .insert([
      { code: 'psp_clearing', name: 'PSP clearing', kind: 'asset', currency: 'ILS' },
      { code: 'fee_revenue', name: 'Fees due to ministries', kind: 'liability', currency: 'ILS' },
      { code: 'psp_clearing', name: 'PSP clearing', kind: 'asset', currency: 'JOD' },
    ])
    .returning('id');
  [cash, fees, cashJod] = accounts.map((a: { id: string }) => Number(a.id)) as [number, number, number];
});
afterAll(() => db.drop());

async function post(sourceId: string, postings: Array<{ account_id: number; amount: number; currency: string }>) {
  await db.knex.transaction(async (trx) => {
    const [entry] = await trx('journal_entries')
      .insert({ source_type: 'test', source_id: sourceId, description: 'test entry', effective_date: '2026-11-27' })
      .returning('id');
    await trx('postings').insert(postings.map((p) => ({ ...p, entry_id: entry.id })));
  });
}

describe('ledger schema', () => {
  it('accepts an entry whose postings sum to zero', async () => {
    await post('balanced', [
      { account_id: cash, amount: 15_000, currency: 'ILS' },
      { account_id: fees, amount: -15_000, currency: 'ILS' },
    ]);
    const [sum] = await db.knex('postings').sum({ total: 'amount' });
    expect(Number(sum?.total)).toBe(0);
  });

  it('refuses an entry that does not balance, writing nothing', async () => {
    await expect(post('unbalanced', [
      { account_id: cash, amount: 15_000, currency: 'ILS' },
      { account_id: fees, amount: -14_999, currency: 'ILS' },
    ])).rejects.toThrow(/does not balance in ILS/);
    expect(await db.knex('journal_entries').where({ source_id: 'unbalanced' })).toHaveLength(0);
  });

  it('refuses a posting in another currency than its account', async () => {
    await expect(post('mixed', [
      { account_id: cashJod, amount: 1_000, currency: 'ILS' },
      { account_id: fees, amount: -1_000, currency: 'ILS' },
    ])).rejects.toThrow(/differs from its account/);
  });

  it('writes an entry at most once per source event', async () => {
    await expect(post('balanced', [
      { account_id: cash, amount: 1, currency: 'ILS' },
      { account_id: fees, amount: -1, currency: 'ILS' },
    ])).rejects.toThrow(/duplicate key/);
  });

  it('never lets a posted entry change', async () => {
    await expect(db.knex('postings').update({ amount: 1 })).rejects.toThrow(/immutable/);
    await expect(db.knex('journal_entries').delete()).rejects.toThrow(/immutable/);
    await expect(db.knex.raw('truncate postings, journal_entries')).rejects.toThrow(/immutable/);
  });
});
