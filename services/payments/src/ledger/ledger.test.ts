import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import type { Currency } from '../domain/money.js';
import { paymentRepository, type NewPayment, type Payment, type PaymentRepository } from '../payments/payment-repository.js';
import { ministryRevenue, pspReceivable } from './chart-of-accounts.js';
import { balanceOf, findEntry, ledgerDay, postJournalEntry, trialBalance, UnbalancedEntry } from './ledger.js';
import { newTestPayment } from '../payments/test-payment.js';
import { settlePayment } from '../payments/payment-settlement.js';
import { postPayout, postPayoutFailure } from './payout-postings.js';

let db: TestDatabase;
let payments: PaymentRepository;

beforeAll(async () => {
  db = await createTestDatabase('payments ledger postings', migrations);
  payments = paymentRepository(db.knex);
});
afterAll(() => db.drop());

const newPayment = newTestPayment;

/** A payment the citizen has submitted: the PSP's answer is next. */
async function submitted(overrides: Partial<NewPayment> = {}): Promise<Payment> {
  const { payment } = await payments.create(newPayment(overrides));
  await payments.transition(payment.id, 'start');
  const moved = await payments.transition(payment.id, 'submit');
  if (moved.outcome === 'not_found') throw new Error('no payment');
  return moved.payment;
}

async function succeeded(overrides: Partial<NewPayment> = {}): Promise<Payment> {
  const payment = await submitted(overrides);
  const moved = await payments.transition(payment.id, 'succeed', { data: { charge_id: 'ch_1' } });
  expect(moved.outcome).toBe('applied');
  return payment;
}

const entriesOf = (paymentId: string) => db.knex('journal_entries').where({ source_type: 'payment', source_id: paymentId });

describe('a payment that succeeds', () => {
  it('posts exactly one balanced entry: the PSP owes its amount, and it is owed to the ministry', async () => {
    const payment = await succeeded({ amount: 15_000, currency: 'ILS' });
    expect(await entriesOf(payment.id)).toHaveLength(1);
    const entry = await findEntry(db.knex, 'payment', payment.id);
    expect(entry).toMatchObject({ sourceType: 'payment', sourceId: payment.id, description: 'Payment PASSPORT-2026-0001 succeeded: Passport renewal fee', effectiveDate: ledgerDay(new Date()) });
    expect(entry?.postings).toEqual([
      { accountCode: 'psp_receivable', amount: 15_000, currency: 'ILS' },
      { accountCode: 'ministry_revenue:moi', amount: -15_000, currency: 'ILS' },
    ]);
    const accounts = await db.knex('ledger_accounts').whereIn('code', ['psp_receivable', 'ministry_revenue:moi']).where({ currency: 'ILS' }).orderBy('code');
    expect(accounts.map((a: { code: string; kind: string; organisation_id: string | null }) => [a.code, a.kind, a.organisation_id])).toEqual([
      ['ministry_revenue:moi', 'liability', 'moi'],
      ['psp_receivable', 'asset', null],
    ]);
  });

  it('posts nothing more when it succeeds again (a webhook delivered twice)', async () => {
    const payment = await succeeded();
    const again = await payments.transition(payment.id, 'succeed');
    expect(again.outcome).toBe('already');
    expect((await payments.transition(payment.id, 'fail')).outcome).toBe('refused');
    expect(await entriesOf(payment.id)).toHaveLength(1);
  });

  it('posts one entry when the same success races itself', async () => {
    const payment = await submitted();
    const outcomes = await Promise.all([payments.transition(payment.id, 'succeed'), payments.transition(payment.id, 'succeed'), payments.transition(payment.id, 'succeed')]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['already', 'already', 'applied']);
    expect(await entriesOf(payment.id)).toHaveLength(1);
  });

  it('posts one entry each for payments racing to succeed, creating a new ministry\'s accounts once', async () => {
    const organisationId = `mohe-${randomUUID()}`;
    const racing = await Promise.all(Array.from({ length: 6 }, () => submitted({ organisationId, amount: 2_500, currency: 'JOD' })));
    const outcomes = await Promise.all(racing.map((p) => payments.transition(p.id, 'succeed')));
    expect(outcomes.every((o) => o.outcome === 'applied')).toBe(true);
    for (const p of racing) expect(await entriesOf(p.id)).toHaveLength(1);
    expect(await db.knex('ledger_accounts').where({ code: `ministry_revenue:${organisationId}` })).toHaveLength(1);
    expect(await balanceOf(db.knex, `ministry_revenue:${organisationId}`, 'JOD')).toBe(-6 * 2_500);
  });

  it('does not succeed when its entry cannot be posted, and posts nothing when the success rolls back', async () => {
    const payment = await submitted();
    await expect(payments.transition(payment.id, 'succeed', { onApplied: () => Promise.reject(new Error('the lights went out')) })).rejects.toThrow(/lights/);
    expect((await payments.byId(payment.id))?.status).toBe('submitted');
    expect(await entriesOf(payment.id)).toHaveLength(0);
  });

  it('runs onApplied in the transaction of the move, only when the event is applied', async () => {
    const payment = await submitted();
    const seen: string[] = [];
    const onApplied = async (trx: Parameters<typeof postJournalEntry>[0], moved: Payment) => {
      const entry = await trx('journal_entries').where({ source_type: 'payment', source_id: moved.id }).first();
      seen.push(`${moved.status} ${entry ? 'posted' : 'unposted'}`);
    };
    await payments.transition(payment.id, 'succeed', { onApplied });
    await payments.transition(payment.id, 'succeed', { onApplied });
    expect(seen).toEqual(['succeeded posted']);
  });
});

describe('a payment that does not succeed', () => {
  it('posts nothing when it fails, is cancelled or expires', async () => {
    const failed = await submitted();
    await payments.transition(failed.id, 'fail', { data: { code: 'card_declined' } });
    const { payment: cancelled } = await payments.create(newPayment());
    await payments.transition(cancelled.id, 'cancel');
    const { payment: expired } = await payments.create(newPayment());
    await payments.transition(expired.id, 'expire');
    for (const p of [failed, cancelled, expired]) expect(await entriesOf(p.id)).toHaveLength(0);
  });
});

describe('journal entries', () => {
  it('post a source at most once: the same source again returns the first entry and writes nothing', async () => {
    const sourceId = randomUUID();
    const post = (amount: number) =>
      db.knex.transaction((trx) =>
        postJournalEntry(trx, {
          sourceType: 'test',
          sourceId,
          description: 'a test movement',
          effectiveDate: '2026-11-27',
          postings: [
            { account: pspReceivable(), amount, currency: 'USD' },
            { account: ministryRevenue('mof'), amount: -amount, currency: 'USD' },
          ],
        }),
      );
    const racing = await Promise.all([post(100), post(100), post(200)]);
    expect(racing.map((r) => r.outcome).sort()).toEqual(['already', 'already', 'posted']);
    expect(new Set(racing.map((r) => r.entry.id)).size).toBe(1);
    const again = await post(300);
    expect(again.outcome).toBe('already');
    expect(again.entry).toMatchObject({ effectiveDate: '2026-11-27', postings: [expect.objectContaining({ accountCode: 'psp_receivable', currency: 'USD' }), expect.anything()] });
    expect(await db.knex('journal_entries').where({ source_type: 'test', source_id: sourceId })).toHaveLength(1);
  });

  it('stand alone without a surrounding transaction: whole, once, also on accounts never used before and when raced', async () => {
    const sourceId = randomUUID();
    const ministry = `standalone-${randomUUID().slice(0, 8)}`;
    const post = () =>
      postJournalEntry(db.knex, {
        sourceType: 'test',
        sourceId,
        description: 'a movement on its own',
        effectiveDate: '2026-11-27',
        postings: [
          { account: pspReceivable(), amount: 700, currency: 'JOD' },
          { account: ministryRevenue(ministry), amount: -700, currency: 'JOD' },
        ],
      });
    const racing = await Promise.all([post(), post(), post()]);
    expect(racing.map((r) => r.outcome).sort()).toEqual(['already', 'already', 'posted']);
    const entry = await findEntry(db.knex, 'test', sourceId);
    expect(entry?.postings).toEqual([
      { accountCode: 'psp_receivable', amount: 700, currency: 'JOD' },
      { accountCode: `ministry_revenue:${ministry}`, amount: -700, currency: 'JOD' },
    ]);
  });

  it('refuse postings that do not sum to zero per currency, before the database does', async () => {
    const post = (postings: Parameters<typeof postJournalEntry>[1]['postings']) =>
      db.knex.transaction((trx) => postJournalEntry(trx, { sourceType: 'test', sourceId: randomUUID(), description: 'x', effectiveDate: '2026-11-27', postings }));
    await expect(post([{ account: pspReceivable(), amount: 100, currency: 'ILS' }, { account: ministryRevenue('moi'), amount: -99, currency: 'ILS' }])).rejects.toThrow(UnbalancedEntry);
    await expect(post([{ account: pspReceivable(), amount: 100, currency: 'ILS' }, { account: ministryRevenue('moi'), amount: -100, currency: 'USD' }])).rejects.toThrow(/sum to 100/);
    await expect(post([{ account: pspReceivable(), amount: 0, currency: 'ILS' }, { account: ministryRevenue('moi'), amount: 0, currency: 'ILS' }])).rejects.toThrow(/non-zero/);
    await expect(post([{ account: pspReceivable(), amount: 1.5, currency: 'ILS' }, { account: ministryRevenue('moi'), amount: -1.5, currency: 'ILS' }])).rejects.toThrow(/whole numbers/);
  });

  it('cannot be changed or deleted once a payment posted them', async () => {
    const payment = await succeeded();
    const [entry] = await entriesOf(payment.id);
    await expect(db.knex('postings').where({ entry_id: entry.id }).update({ amount: 1 })).rejects.toThrow(/immutable/);
    await expect(db.knex('postings').where({ entry_id: entry.id }).delete()).rejects.toThrow(/immutable/);
    await expect(db.knex('journal_entries').where({ id: entry.id }).update({ description: 'nothing happened' })).rejects.toThrow(/immutable/);
    await expect(db.knex('journal_entries').where({ id: entry.id }).delete()).rejects.toThrow(/immutable/);
    expect((await findEntry(db.knex, 'payment', payment.id))?.postings).toHaveLength(2);
  });
});

describe('balances', () => {
  it('are those of the entries recorded up to any point in time', async () => {
    const organisationId = `mot-${randomUUID()}`;
    const account = `ministry_revenue:${organisationId}`;
    const first = await succeeded({ organisationId, amount: 1_000, currency: 'USD' });
    const firstAt = (await findEntry(db.knex, 'payment', first.id))!.recordedAt;
    const second = await succeeded({ organisationId, amount: 250, currency: 'USD' });
    const secondAt = (await findEntry(db.knex, 'payment', second.id))!.recordedAt;
    expect(secondAt.getTime()).toBeGreaterThan(firstAt.getTime());

    expect(await balanceOf(db.knex, account, 'USD', new Date(firstAt.getTime() - 1))).toBe(0);
    expect(await balanceOf(db.knex, account, 'USD', firstAt)).toBe(-1_000);
    expect(await balanceOf(db.knex, account, 'USD', new Date(secondAt.getTime() - 1))).toBe(-1_000);
    expect(await balanceOf(db.knex, account, 'USD', secondAt)).toBe(-1_250);
    expect(await balanceOf(db.knex, account, 'USD')).toBe(-1_250);
    expect(await balanceOf(db.knex, account, 'ILS')).toBe(0);
    expect(await balanceOf(db.knex, 'no_such_account', 'USD')).toBe(0);

    const before = await trialBalance(db.knex, { at: new Date(firstAt.getTime() - 1), organisationId });
    expect(before.accounts).toEqual([]);
    const between = await trialBalance(db.knex, { at: firstAt, organisationId });
    expect(between.accounts).toEqual([expect.objectContaining({ accountCode: account, currency: 'USD', balance: -1_000, debit: 0, credit: 1_000 })]);
  });

  it('make a trial balance whose debits equal its credits in every currency', async () => {
    for (const [amount, currency] of [[1_500, 'ILS'], [2_000, 'USD'], [3_010, 'JOD'], [990, 'ILS']] as Array<[number, Currency]>) {
      await succeeded({ organisationId: currency === 'JOD' ? 'mohe' : 'moi', amount, currency });
    }
    const balance = await trialBalance(db.knex);
    expect(balance.totals.map((t) => t.currency).sort()).toEqual(['ILS', 'JOD', 'USD']);
    for (const total of balance.totals) {
      expect(total.net).toBe(0);
      expect(total.debit).toBe(total.credit);
      expect(total.debit).toBeGreaterThan(0);
    }
    const [sum] = await db.knex('postings').select('currency').sum({ total: 'amount' }).groupBy('currency');
    expect(Number(sum?.total)).toBe(0);
    for (const currency of ['ILS', 'JOD', 'USD'] as const) {
      const receivable = balance.accounts.find((a) => a.accountCode === 'psp_receivable' && a.currency === currency);
      expect(receivable?.balance).toBe(await balanceOf(db.knex, 'psp_receivable', currency));
    }
    const jod = await trialBalance(db.knex, { currency: 'JOD' });
    expect(jod.totals).toEqual([expect.objectContaining({ currency: 'JOD', net: 0 })]);
    expect(jod.accounts.every((a) => a.currency === 'JOD')).toBe(true);
  });
});

describe('the PSP\'s fee on a payment', () => {
  const fee = (balanceTransactionId: string, amount: number, currency: Currency = 'ILS') => ({ balanceTransactionId, fee: amount, net: 15_000 - amount, currency, availableOn: new Date() });

  it('is recorded on the payment and posted with its success, once, whichever settles it first', async () => {
    const payment = await submitted({ amount: 15_000, currency: 'ILS' });
    const txn = `txn_${randomUUID()}`;
    const outcome = { kind: 'succeeded', intentId: 'pi_1', chargeId: 'ch_1', fee: fee(txn, 545) } as const;
    const [first, second] = await Promise.all([settlePayment(payments, payment, outcome), settlePayment(payments, payment, outcome)]);
    expect([first.pspFee, second.pspFee]).toEqual([545, 545]);
    expect((await payments.byId(payment.id))?.pspFee).toBe(545);
    expect(await db.knex('journal_entries').where({ source_type: 'psp_fee' }).where({ source_id: txn })).toHaveLength(1);
    expect((await findEntry(db.knex, 'psp_fee', txn))?.postings).toEqual([
      { accountCode: 'psp_fees', amount: 545, currency: 'ILS' },
      { accountCode: 'psp_receivable', amount: -545, currency: 'ILS' },
    ]);
  });

  it('is not posted when the PSP did not say it, nor in another currency than the payment\'s', async () => {
    const unknown = await settlePayment(payments, await submitted(), { kind: 'succeeded', intentId: 'pi_2', chargeId: 'ch_2', fee: null });
    expect(unknown).toMatchObject({ status: 'succeeded', pspFee: null });
    const txn = `txn_${randomUUID()}`;
    const other = await settlePayment(payments, await submitted(), { kind: 'succeeded', intentId: 'pi_3', chargeId: 'ch_3', fee: fee(txn, 200, 'USD') });
    expect(other).toMatchObject({ status: 'succeeded', pspFee: null });
    expect(await findEntry(db.knex, 'psp_fee', txn)).toBeUndefined();
  });
});

describe('payouts', () => {
  it('move money from psp_receivable to the treasury\'s bank account once; a failure after paid reverses it once', async () => {
    const payout = { id: `po_${randomUUID()}`, amount: 10_000, currency: 'JOD' as const, arrivalDate: '2026-03-04' };
    const before = await balanceOf(db.knex, 'psp_receivable', 'JOD');
    const posted = await db.knex.transaction((trx) => postPayout(trx, payout));
    expect(posted.entry).toMatchObject({ sourceType: 'payout', sourceId: payout.id, effectiveDate: '2026-03-04' });
    expect(posted.entry.postings).toEqual([
      { accountCode: 'treasury_bank', amount: 10_000, currency: 'JOD' },
      { accountCode: 'psp_receivable', amount: -10_000, currency: 'JOD' },
    ]);
    expect((await db.knex.transaction((trx) => postPayout(trx, payout))).outcome).toBe('already');
    expect(await balanceOf(db.knex, 'treasury_bank', 'JOD')).toBe(10_000);
    expect(await balanceOf(db.knex, 'psp_receivable', 'JOD')).toBe(before - 10_000);
    const treasury = await db.knex('ledger_accounts').where({ code: 'treasury_bank', currency: 'JOD' }).first();
    expect(treasury).toMatchObject({ kind: 'asset', organisation_id: null });

    const failed = await db.knex.transaction((trx) => postPayoutFailure(trx, payout, new Date('2026-03-06T08:00:00Z')));
    expect(failed.entry).toMatchObject({ sourceType: 'payout_failure', sourceId: payout.id, effectiveDate: '2026-03-06' });
    expect((await db.knex.transaction((trx) => postPayoutFailure(trx, payout, new Date()))).outcome).toBe('already');
    expect(await balanceOf(db.knex, 'treasury_bank', 'JOD')).toBe(0);
    expect(await balanceOf(db.knex, 'psp_receivable', 'JOD')).toBe(before);
    expect((await trialBalance(db.knex, { currency: 'JOD' })).totals).toEqual([expect.objectContaining({ net: 0 })]);
  });
});
