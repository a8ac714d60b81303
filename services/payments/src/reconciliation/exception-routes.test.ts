import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { balanceOf } from '../ledger/ledger.js';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { raiseException, type RaisedException } from './exceptions.js';

// The exception work queue, as finance officers use it through the API: read, assign, comment,
// resolve by a manual match, or write off with a second officer's approval (four eyes), which
// posts the correcting entry.

let service: TestPayments;
beforeAll(async () => {
  service = await testPayments('payments exception work queue');
});
afterAll(() => service.close());

const violations = (body: unknown) => schemaViolations('payments.yaml', '#/components/schemas/ReconciliationException', body);
/** A finance officer of the platform (a person: the token has a subject). */
const officer = async (name: string, scope = 'reconciliation:read reconciliation:write', organisation = PLATFORM_ORGANISATION_ID) =>
  `Bearer ${await service.issuer.sign({ scope, organisation_id: organisation, client_id: 'tamkeen-finance', sub: name })}`;
const raise = async (overrides: Partial<RaisedException> = {}) =>
  (await raiseException(service.stores.knex, { kind: 'amount_mismatch', dedupeKey: `amount_mismatch:${randomUUID()}`, currency: 'ILS', amount: 14_900, expectedAmount: 15_000, balanceTransactionId: 'txn_1', details: { rule: 'by PSP id' }, ...overrides })).id;
const act = async (id: string, action: string, body: object, who = 'amal') => request(service.app).post(`/payments/v1/reconciliation/exceptions/${id}/${action}`).set('Authorization', await officer(who)).send(body);
const read = async (id: string) => request(service.app).get(`/payments/v1/reconciliation/exceptions/${id}`).set('Authorization', await officer('amal'));
const balance = (account: string) => balanceOf(service.stores.knex, account, 'ILS');

describe('an exception in the work queue', () => {
  it('is read with its history, assigned and commented, each action recorded with who and why', async () => {
    const id = await raise();
    const shown = await read(id);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id, kind: 'amount_mismatch', status: 'open', amount: 14_900, expected_amount: 15_000, currency: 'ILS', resolution: null, history: [{ action: 'raised', actor: 'system' }] });
    expect(violations(shown.body)).toEqual([]);
    expect(await act(id, 'assign', { assignee: 'bilal', reason: 'his ministry' })).toMatchObject({ status: 200, body: { status: 'assigned', assigned_to: 'bilal' } });
    const commented = await act(id, 'comments', { text: 'Asked the PSP for the charge details.' }, 'bilal');
    expect(commented.body.history.map((h: { action: string; actor: string }) => `${h.action} by ${h.actor}`)).toEqual(['raised by system', 'assigned by amal', 'commented by bilal']);
    expect(commented.body.history[2]).toMatchObject({ reason: 'Asked the PSP for the charge details.' });
    expect(violations(commented.body)).toEqual([]);
  });

  it('is resolved by a manual match at once, posting nothing; afterwards only comments are taken', async () => {
    const id = await raise();
    const before = await balance('psp_receivable');
    const resolved = await act(id, 'resolve', { resolution: 'manual_match', reason: 'The PSP settled it with the next day\'s batch.', matched: { balance_transaction_id: 'txn_2' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: { resolution: 'manual_match', matched: { balanceTransactionId: 'txn_2' }, by: 'amal', reason: expect.stringContaining('next day') } });
    expect(resolved.body.resolved_at).toEqual(expect.any(String));
    expect(await balance('psp_receivable')).toBe(before);
    expect(await act(id, 'assign', { assignee: 'bilal' })).toMatchObject({ status: 409, body: { code: 'exception_resolved' } });
    expect(await act(id, 'resolve', { resolution: 'write_off', reason: 'again' })).toMatchObject({ status: 409, body: { code: 'exception_resolved' } });
    expect((await act(id, 'comments', { text: 'Checked again at month end.' })).status).toBe(200);
  });

  it('is written off only with a second officer’s approval (four eyes), which posts the correcting entry once', async () => {
    const id = await raise();
    const [receivable, differences] = [await balance('psp_receivable'), await balance('reconciliation_differences')];
    expect(await act(id, 'resolve', { resolution: 'write_off', reason: 'The PSP will not pay the 1.00 ILS difference.' })).toMatchObject({ status: 200, body: { status: 'awaiting_approval' } });
    // Nothing is posted until someone else approves; the requester cannot.
    expect(await balance('psp_receivable')).toBe(receivable);
    expect(await act(id, 'approve', {})).toMatchObject({ status: 403, body: { code: 'four_eyes' } });
    expect(await act(id, 'resolve', { resolution: 'manual_match', reason: 'x', matched: { payment_id: randomUUID() } })).toMatchObject({ status: 409, body: { code: 'awaiting_approval' } });
    // Two other officers approve at the same moment: one approval posts, the other finds it resolved.
    const approvals = await Promise.all([act(id, 'approve', { reason: 'Checked the PSP report.' }, 'bilal'), act(id, 'approve', {}, 'carmen')]);
    expect(approvals.map((a) => a.status).sort()).toEqual([200, 409]);
    const approved = approvals.find((a) => a.status === 200)!;
    expect(approved.body).toMatchObject({ status: 'resolved', resolution: { resolution: 'write_off', requested_by: 'amal', approved_by: expect.stringMatching(/bilal|carmen/), journal_entry_id: expect.any(String) } });
    expect(violations(approved.body)).toEqual([]);
    // The PSP's figure stands: 1.00 ILS less is due from it, written off as a reconciliation difference.
    expect(await balance('psp_receivable')).toBe(receivable - 100);
    expect(await balance('reconciliation_differences')).toBe(differences + 100);
    expect(await service.stores.knex('journal_entries').where({ source_type: 'exception_write_off', source_id: id })).toHaveLength(1);
  });

  it('goes back to the queue when the write-off is rejected, and may be asked for again', async () => {
    const id = await raise({ kind: 'unmatched_bank_credit', amount: 250_000, expectedAmount: null, bankEntryId: 'stmt-1/7' });
    await act(id, 'assign', { assignee: 'amal' });
    await act(id, 'resolve', { resolution: 'write_off', reason: 'Unknown transfer.' });
    expect(await act(id, 'reject', { reason: 'It is the ministry of health\'s transfer: match it.' }, 'bilal')).toMatchObject({ status: 200, body: { status: 'assigned' } });
    expect(await act(id, 'reject', { reason: 'again' }, 'bilal')).toMatchObject({ status: 409, body: { code: 'not_awaiting_approval' } });
    const before = { bank: await balance('treasury_bank'), suspense: await balance('unidentified_receipts') };
    await act(id, 'resolve', { resolution: 'write_off', reason: 'Still unknown after a week: into suspense.' });
    expect((await act(id, 'approve', {}, 'bilal')).status).toBe(200);
    // The bank holds 2,500.00 ILS that no payout explains: into suspense until identified.
    expect(await balance('treasury_bank')).toBe(before.bank + 250_000);
    expect(await balance('unidentified_receipts')).toBe(before.suspense - 250_000);
    const history = (await read(id)).body.history.map((h: { action: string }) => h.action);
    expect(history).toEqual(['raised', 'assigned', 'write_off_requested', 'write_off_rejected', 'write_off_requested', 'approved', 'resolved']);
  });

  it('posts nothing for a duplicate line, and refuses a write-off whose figures are unknown', async () => {
    const duplicate = await raise({ kind: 'duplicate_line', amount: null, expectedAmount: null, currency: null });
    await act(duplicate, 'resolve', { resolution: 'write_off', reason: 'The PSP sent the line twice.' });
    const approved = await act(duplicate, 'approve', {}, 'bilal');
    expect(approved.body).toMatchObject({ status: 'resolved', resolution: { journal_entry_id: null } });
    const unknown = await raise({ kind: 'unknown_charge', amount: null, currency: null });
    expect(await act(unknown, 'resolve', { resolution: 'write_off', reason: 'x' })).toMatchObject({ status: 422, body: { code: 'no_amount' } });
  });

  it('is the platform’s finance officers’: another organisation, a machine client or a read-only token cannot act; bad input is named', async () => {
    const id = await raise();
    const ministry = await request(service.app).get(`/payments/v1/reconciliation/exceptions/${id}`).set('Authorization', await officer('x', 'reconciliation:read', 'moh'));
    expect(ministry).toMatchObject({ status: 403, body: { code: 'platform_only' } });
    const machine = await request(service.app).post(`/payments/v1/reconciliation/exceptions/${id}/assign`).set('Authorization', await service.bearer('reconciliation:write', PLATFORM_ORGANISATION_ID)).send({ assignee: 'amal' });
    expect(machine).toMatchObject({ status: 403, body: { code: 'person_required' } });
    const readOnly = await request(service.app).post(`/payments/v1/reconciliation/exceptions/${id}/comments`).set('Authorization', await officer('amal', 'reconciliation:read')).send({ text: 'x' });
    expect(readOnly.status).toBe(403);
    const noReason = await act(id, 'resolve', { resolution: 'write_off' });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('reason');
    const noMatch = await act(id, 'resolve', { resolution: 'manual_match', reason: 'x', matched: {} });
    expect(noMatch.status).toBe(400);
    expect(JSON.stringify(noMatch.body)).toContain('matched');
    expect((await act('not-a-uuid', 'assign', { assignee: 'a' })).status).toBe(400);
    expect(await act(randomUUID(), 'assign', { assignee: 'a' })).toMatchObject({ status: 404, body: { code: 'exception_not_found' } });
  });
});
