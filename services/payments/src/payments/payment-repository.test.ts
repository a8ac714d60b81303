import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { migrations } from '../db/migrations/index.js';
import { paymentRepository, type NewPayment, type PaymentRepository } from './payment-repository.js';
import { outcomeOf, PAYMENT_EVENTS, PAYMENT_STATUSES, type PaymentEvent } from './payment-state.js';
import { newTestPayment } from './test-payment.js';

let db: TestDatabase;
let payments: PaymentRepository;

beforeAll(async () => {
  db = await createTestDatabase('payments states', migrations);
  payments = paymentRepository(db.knex);
});
afterAll(() => db.drop());

const newPayment = newTestPayment;
const create = async (overrides: Partial<NewPayment> = {}) => (await payments.create(newPayment(overrides))).payment;

/** A payment brought to `status` by legal events. */
async function paymentIn(status: 'created' | 'started' | 'submitted') {
  const payment = await create();
  for (const event of (['start', 'submit'] as const).slice(0, ['created', 'started', 'submitted'].indexOf(status))) {
    expect((await payments.transition(payment.id, event)).outcome).toBe('applied');
  }
  return payment;
}

describe('payment states', () => {
  it('allow exactly the transitions of the life of a payment, and call a repeat "already" rather than an error', () => {
    const legal = Object.entries(PAYMENT_EVENTS).flatMap(([event, { from, to }]) => from.map((status) => `${status} -${event}-> ${to}`));
    expect(legal.sort()).toEqual(
      [
        'created -start-> started',
        'started -submit-> submitted',
        'submitted -succeed-> succeeded',
        'submitted -fail-> failed',
        'created -cancel-> cancelled',
        'started -cancel-> cancelled',
        'created -expire-> expired',
        'started -expire-> expired',
      ].sort(),
    );
    expect(outcomeOf('succeeded', 'succeed')).toBe('already');
    expect(outcomeOf('submitted', 'cancel')).toBe('refused');
    expect(outcomeOf('submitted', 'expire')).toBe('refused');
    // Nothing leaves a final status.
    for (const status of ['succeeded', 'failed', 'cancelled', 'expired'] as const) {
      for (const event of Object.keys(PAYMENT_EVENTS) as PaymentEvent[]) expect(outcomeOf(status, event)).not.toBe('applied');
    }
    expect(PAYMENT_STATUSES).toHaveLength(7);
  });

  it('record every move with the status it left, oldest first, in a history nobody can change', async () => {
    const payment = await paymentIn('submitted');
    await payments.transition(payment.id, 'succeed', { data: { psp: 'pi_123' } });
    const history = await payments.events(payment.id);
    expect(history.map((e) => `${e.fromStatus ?? '-'}>${e.toStatus}`)).toEqual(['->created', 'created>started', 'started>submitted', 'submitted>succeeded']);
    expect(history.at(-1)!.data).toEqual({ psp: 'pi_123' });
    await expect(db.knex('payment_events').where({ payment_id: payment.id }).update({ to_status: 'failed' })).rejects.toThrow(/never changed/);
    await expect(db.knex('payment_events').where({ payment_id: payment.id }).delete()).rejects.toThrow(/never changed/);
  });

  it('refuse an illegal transition and leave the payment as it was', async () => {
    const payment = await paymentIn('submitted');
    const cancelled = await payments.transition(payment.id, 'cancel');
    expect(cancelled).toMatchObject({ outcome: 'refused', payment: { status: 'submitted' } });
    expect((await payments.events(payment.id)).map((e) => e.toStatus)).toEqual(['created', 'started', 'submitted']);
  });

  it('end a double-clicked pay button in one submission', async () => {
    const payment = await paymentIn('started');
    const results = await Promise.all(Array.from({ length: 5 }, () => payments.transition(payment.id, 'submit')));
    expect(results.map((r) => r.outcome).sort()).toEqual(['already', 'already', 'already', 'already', 'applied']);
    expect((await payments.events(payment.id)).filter((e) => e.event === 'submit')).toHaveLength(1);
  });

  it('end a PSP webhook delivered twice at once in one success', async () => {
    const payment = await paymentIn('submitted');
    const results = await Promise.all([payments.transition(payment.id, 'succeed'), payments.transition(payment.id, 'succeed')]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['already', 'applied']);
  });

  it('end a cancellation racing the citizen’s submission, or expiry racing it, in exactly one outcome', async () => {
    for (const rival of ['cancel', 'expire'] as const) {
      for (let round = 0; round < 10; round++) {
        const payment = await paymentIn('started');
        const [submit, other] = await Promise.all([payments.transition(payment.id, 'submit'), payments.transition(payment.id, rival)]);
        const applied = [submit, other].filter((r) => r.outcome === 'applied');
        expect(applied).toHaveLength(1);
        const final = await payments.find('moi', payment.id);
        expect(final!.status).toBe(submit.outcome === 'applied' ? 'submitted' : rival === 'cancel' ? 'cancelled' : 'expired');
        expect(await payments.events(payment.id)).toHaveLength(3);
      }
    }
  });

  it('are checked by the database too: no unknown status, currency or a non-positive amount', async () => {
    const payment = await create();
    await expect(db.knex('payments').where({ id: payment.id }).update({ status: 'paid' })).rejects.toThrow(/payments_status/);
    await expect(payments.create(newPayment({ currency: 'EUR' as 'ILS' }))).rejects.toThrow(/payments_currency/);
    await expect(payments.create(newPayment({ amount: 0 }))).rejects.toThrow(/payments_amount/);
  });

  it('are created once per Idempotency-Key, even by racing requests; the key with another request is reported', async () => {
    const idempotencyKey = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => payments.create(newPayment({ idempotencyKey, requestHash: 'same' }))));
    expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'repeated', 'repeated', 'repeated', 'repeated']);
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    expect((await payments.create(newPayment({ idempotencyKey, requestHash: 'other' }))).outcome).toBe('key reused');
    // Another organisation's key space is its own.
    expect((await payments.create(newPayment({ idempotencyKey, requestHash: 'other', organisationId: 'moh' }))).outcome).toBe('created');
  });

  it('are one organisation’s: another organisation does not find them', async () => {
    const payment = await create();
    expect(await payments.find('moh', payment.id)).toBeUndefined();
    expect((await payments.find('moi', payment.id))!.amount).toBe(15_000);
  });

  it('expire when their time is past, and only unfinished ones', async () => {
    const late = await create({ expiresAt: new Date(Date.now() - 1_000) });
    const submitted = await paymentIn('submitted');
    await db.knex('payments').where({ id: submitted.id }).update({ expires_at: new Date(Date.now() - 1_000) });
    const due = await payments.dueToExpire(new Date(), 100);
    expect(due).toContain(late.id);
    expect(due).not.toContain(submitted.id);
  });
});
