import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from './migrations/index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('gateway audit', migrations);
});
afterAll(() => db.drop());

describe('audit log schema', () => {
  it('takes new rows and refuses to change, delete or truncate them', async () => {
    await db.knex('audit_log').insert({ actor: 'ops', action: 'key.rotate', prev_hash: Buffer.alloc(32), hash: Buffer.alloc(32, 1) });
    await expect(db.knex('audit_log').update({ actor: 'someone else' })).rejects.toThrow(/append-only/);
    await expect(db.knex('audit_log').delete()).rejects.toThrow(/append-only/);
    await expect(db.knex.raw('truncate audit_log')).rejects.toThrow(/append-only/);
    expect(await db.knex('audit_log').count({ n: '*' })).toEqual([{ n: '1' }]);
  });
});
