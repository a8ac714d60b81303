import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testPayments, type TestPayments } from '../test-payments.js';
import { ministryRevenue, pspReceivable } from './chart-of-accounts.js';
import { postJournalEntry } from './ledger.js';
import { PLATFORM_ORGANISATION_ID } from './ledger-routes.js';

// The month-end close: a closed month takes no new entry dated inside it — the database refuses
// one, and the ledger dates a late movement (a correction) in the next open day instead.

let service: TestPayments;
beforeAll(async () => {
  service = await testPayments('payments ledger close');
  // The ledger's day is 27 November 2026 (in Palestine's time).
  service.clock.now = new Date('2026-11-27T10:00:00Z');
});
afterAll(() => service.close());

const knex = () => service.stores.knex;
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);
const platform = (scope: string) => service.bearer(scope, PLATFORM_ORGANISATION_ID);
const close = async (period: string, organisation = PLATFORM_ORGANISATION_ID) =>
  request(service.app).post(`/payments/v1/ledger/periods/${period}/close`).set('Authorization', await service.bearer('reconciliation:write', organisation));
const movement = (effectiveDate: string) =>
  postJournalEntry(knex(), {
    sourceType: 'test',
    sourceId: randomUUID(),
    description: 'a movement',
    effectiveDate,
    postings: [
      { account: pspReceivable(), amount: 500, currency: 'ILS' },
      { account: ministryRevenue('moh'), amount: -500, currency: 'ILS' },
    ],
  });

describe('the month-end close', () => {
  it('closes an ended month for the platform’s finance staff, once; the ledger is then closed through its last day', async () => {
    await movement('2026-10-15');
    const closed = await close('2026-10');
    expect(closed.status).toBe(201);
    expect(closed.body).toMatchObject({ period: '2026-10', closed_through: '2026-10-31', ledger_closed_through: '2026-10-31' });
    expect(violations('LedgerClose', closed.body)).toEqual([]);
    const again = await close('2026-10');
    expect(again.status).toBe(200);
    expect(again.body.closed_at).toBe(closed.body.closed_at);
    const periods = await request(service.app).get('/payments/v1/ledger/periods').set('Authorization', await platform('reconciliation:read'));
    expect(periods.status).toBe(200);
    expect(periods.body).toMatchObject({ closed_through: '2026-10-31', closes: [{ period: '2026-10', closed_through: '2026-10-31' }] });
    expect(violations('LedgerPeriods', periods.body)).toEqual([]);
  });

  it('dates a movement of a closed month in the first open day (the correction goes to the next period)', async () => {
    const late = await movement('2026-10-20');
    expect(late).toMatchObject({ outcome: 'posted', entry: { effectiveDate: '2026-11-01' } });
    const stored = await knex()('journal_entries').where({ id: late.entry.id }).first(knex().raw('effective_date::text as d'));
    expect(stored.d).toBe('2026-11-01');
    expect((await movement('2026-11-20')).entry.effectiveDate).toBe('2026-11-20');
  });

  it('is enforced by the database: an entry dated inside a closed period cannot be written, and the close cannot be undone', async () => {
    await expect(knex()('journal_entries').insert({ source_type: 'test', source_id: randomUUID(), description: 'backdated', effective_date: '2026-10-31' })).rejects.toThrow(/closed through 2026-10-31/);
    await expect(knex()('ledger_close').update({ closed_through: '2026-09-30' })).rejects.toThrow(/cannot be reopened/);
    await expect(knex()('ledger_close').delete()).rejects.toThrow(/cannot be reopened/);
    await expect(knex()('ledger_closes').delete()).rejects.toThrow(/immutable/);
  });

  it('refuses a month that has not ended, one before the close, a malformed one, and anyone but the platform’s finance staff', async () => {
    expect(await close('2026-11')).toMatchObject({ status: 409, body: { code: 'period_not_ended' } });
    expect(await close('2026-09')).toMatchObject({ status: 409, body: { code: 'period_closed' } });
    expect((await close('2026-13')).status).toBe(400);
    expect((await close('2026-12-01')).status).toBe(400);
    expect(await close('2026-10', 'moh')).toMatchObject({ status: 403, body: { code: 'platform_only' } });
    const readOnly = await request(service.app).post('/payments/v1/ledger/periods/2026-10/close').set('Authorization', await platform('reconciliation:read'));
    expect(readOnly.status).toBe(403);
  });
});
