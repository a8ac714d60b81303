import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import { raiseException } from './exceptions.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('payments reconciliation exceptions', migrations);
});
afterAll(() => db.drop());

describe('raising an exception', () => {
  it('raises it once per dedupe key, with its first audit event, also when raised twice at once', async () => {
    const raise = () => raiseException(db.knex, { kind: 'amount_mismatch', dedupeKey: 'amount_mismatch:txn_1', currency: 'ILS', amount: 14_900, expectedAmount: 15_000, balanceTransactionId: 'txn_1', details: { rule: 'by PSP id' } });
    const [a, b] = await Promise.all([raise(), raise()]);
    expect([a.raised, b.raised].sort()).toEqual([false, true]);
    expect(a.id).toBe(b.id);
    expect((await raise()).raised).toBe(false);
    expect(await db.knex('reconciliation_exceptions').where({ dedupe_key: 'amount_mismatch:txn_1' })).toEqual([
      expect.objectContaining({ kind: 'amount_mismatch', status: 'open', currency: 'ILS', amount: '14900', expected_amount: '15000', balance_transaction_id: 'txn_1' }),
    ]);
    expect(await db.knex('reconciliation_exception_events').where({ exception_id: a.id })).toEqual([expect.objectContaining({ action: 'raised', actor: 'system' })]);
  });

  it('keeps its audit trail immutable', async () => {
    const { id } = await raiseException(db.knex, { kind: 'unknown_charge', dedupeKey: 'unknown_charge:ch_9' });
    await expect(db.knex('reconciliation_exception_events').where({ exception_id: id }).update({ actor: 'someone else' })).rejects.toThrow(/immutable/);
    await expect(db.knex('reconciliation_exception_events').where({ exception_id: id }).delete()).rejects.toThrow(/immutable/);
  });
});
