import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { balanceOf, findEntry, trialBalance } from '../ledger/ledger.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';

const SUCCESS = '4242424242424242';

let sandbox: RunningSandbox;
let service: TestPayments;
let write: string;
let read: string;
/** While true, refund calls go to a port nothing listens on: the PSP is down for refunds. */
let pspDown = false;

beforeAll(async () => {
  sandbox = await startSandbox();
  const live = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  const dead = stripeAdapter({ apiUrl: `http://127.0.0.1:${await freePort()}`, secretKey: sandbox.secretKey, timeoutMs: 2_000 });
  const psp: PaymentProvider = {
    ...live,
    refund: (input) => (pspDown ? dead : live).refund(input),
    retrieveRefund: (id) => (pspDown ? dead : live).retrieveRefund(id),
  };
  service = await testPayments('refunds', { psp, env: { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey } });
  write = await service.bearer('payments:write');
  read = await service.bearer('payments:read');
});
afterAll(async () => {
  await service.close();
  await sandbox.stop();
});

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0077', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);

async function newPayment(body: object = passport): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', write).set('Idempotency-Key', randomUUID()).send(body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** A payment the citizen paid with a test card on the hosted page. */
async function paidPayment(body: object = passport): Promise<string> {
  const id = await newPayment(body);
  const page = await request(service.app).get(`/pay/${id}`);
  const cookie = (page.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const paid = await request(service.app).post(`/pay/${id}`).set('Cookie', cookie).type('form').send({ csrf, payment_method: await sandbox.tokenise(SUCCESS) });
  expect(paid.status).toBe(303);
  expect((await payment(id)).status).toBe('succeeded');
  return id;
}

const payment = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', read)).body as { status: string; refund_summary: { amount_refunded: number; amount_available: number } };

function refund(paymentId: string, body: object | undefined, { key = randomUUID(), token = write }: { key?: string | null; token?: string } = {}) {
  const call = request(service.app).post(`/payments/v1/payments/${paymentId}/refunds`).set('Authorization', token);
  const keyed = key === null ? call : call.set('Idempotency-Key', key);
  return body === undefined ? keyed : keyed.send(body);
}

const refundEntry = (refundId: string) => findEntry(service.stores.knex, 'refund', refundId);

describe('refunding a payment', () => {
  it('refunds in full: all of it, succeeded, posted to the ledger once, with its notice in the outbox', async () => {
    const id = await paidPayment();
    const revenueBefore = await balanceOf(service.stores.knex, 'ministry_revenue:moi', 'ILS');
    const done = await refund(id, {});
    expect(done.status).toBe(201);
    expect(violations('Refund', done.body)).toEqual([]);
    expect(done.body).toMatchObject({ payment_id: id, amount: 15_000, currency: 'ILS', status: 'succeeded' });
    expect(done.headers.location).toBe(`/payments/v1/payments/${id}/refunds/${done.body.id}`);

    const shown = await payment(id);
    expect(violations('Payment', shown)).toEqual([]);
    expect(shown.refund_summary).toEqual({ amount_refunded: 15_000, amount_available: 0 });

    // The ledger: one balanced entry, debit the ministry's revenue, credit the PSP receivable.
    const entry = await refundEntry(done.body.id);
    expect(entry?.postings).toEqual([
      { accountCode: 'ministry_revenue:moi', amount: 15_000, currency: 'ILS' },
      { accountCode: 'psp_receivable', amount: -15_000, currency: 'ILS' },
    ]);
    expect(await balanceOf(service.stores.knex, 'ministry_revenue:moi', 'ILS')).toBe(revenueBefore + 15_000);
    expect(await service.stores.knex('journal_entries').where({ source_type: 'refund', source_id: done.body.id }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);
    // Reading it again (which settles submitted ones) posts nothing more.
    expect((await request(service.app).get(`/payments/v1/payments/${id}/refunds/${done.body.id}`).set('Authorization', read)).body.status).toBe('succeeded');
    expect(await service.stores.knex('journal_entries').where({ source_type: 'refund', source_id: done.body.id }).count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);

    // The trial balance stays balanced, and the payment nets to zero for the ministry.
    const trial = await trialBalance(service.stores.knex, { currency: 'ILS' });
    expect(trial.totals).toEqual([expect.objectContaining({ currency: 'ILS', net: 0 })]);

    const notices = await service.stores.knex('outbox').where({ payment_id: id }).whereLike('event_type', 'refund.%');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ organisation_id: 'moi', event_type: 'refund.succeeded', payload: { payment_id: id, refund: { id: done.body.id, status: 'succeeded', amount: 15_000 } } });
    expect(schemaViolations('payments.yaml', '#/components/schemas/WebhookEvent', { id: notices[0].id, type: notices[0].event_type, created_at: new Date().toISOString(), data: notices[0].payload })).toEqual([]);

    // Nothing is left.
    const more = await refund(id, {});
    expect(more.status).toBe(409);
    expect(more.body.code).toBe('payment_fully_refunded');
  });

  it('refunds in part, then the rest, never more than was paid', async () => {
    const id = await paidPayment();
    const first = await refund(id, { amount: 5_000, reason: 'Application withdrawn' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amount: 5_000, reason: 'Application withdrawn', status: 'succeeded' });
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 5_000, amount_available: 10_000 });

    const tooMuch = await refund(id, { amount: 10_001 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.invalid_params).toEqual([expect.objectContaining({ name: 'amount', reason: expect.stringMatching(/at most 10000/) })]);

    const rest = await refund(id, undefined);
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ amount: 10_000, status: 'succeeded' });

    const list = await request(service.app).get(`/payments/v1/payments/${id}/refunds`).set('Authorization', read);
    expect(list.status).toBe(200);
    expect(violations('RefundList', list.body)).toEqual([]);
    expect(list.body.refunds.map((r: { id: string }) => r.id)).toEqual([first.body.id, rest.body.id]);
    const one = await request(service.app).get(`/payments/v1/payments/${id}/refunds/${first.body.id}`).set('Authorization', read);
    expect(one.body).toEqual(first.body);
  });

  it('lets only what was paid be refunded when refunds race', async () => {
    const id = await paidPayment();
    const answers = await Promise.all(Array.from({ length: 4 }, () => refund(id, { amount: 6_000 })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 201, 400, 400]);
    for (const refused of answers.filter((a) => a.status === 400)) expect(refused.body.invalid_params[0].name).toBe('amount');
    const refunded = await service.stores.knex('refunds').where({ payment_id: id, status: 'succeeded' }).sum<{ sum: string }[]>('amount as sum');
    expect(Number(refunded[0]!.sum)).toBe(12_000);
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 12_000, amount_available: 3_000 });
  });

  it('answers the same key and request with the first refund, and the same key with another request with a 422', async () => {
    const id = await paidPayment();
    const key = randomUUID();
    const first = await refund(id, { amount: 1_000 }, { key });
    const again = await refund(id, { amount: 1_000 }, { key });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await refund(id, { amount: 2_000 }, { key });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused', refund_id: first.body.id });
    // Racing requests with one key make one refund.
    const raced = randomUUID();
    const answers = await Promise.all(Array.from({ length: 4 }, () => refund(id, { amount: 500 }, { key: raced })));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 1_500, amount_available: 13_500 });
  });

  it('refuses a payment that has not succeeded with a 409, and another organisation\'s with a 404', async () => {
    const id = await newPayment();
    const notPaid = await refund(id, {});
    expect(notPaid.status).toBe(409);
    expect(notPaid.body).toMatchObject({ code: 'payment_not_refundable', status: 'created' });
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 0, amount_available: 0 });

    const paid = await paidPayment();
    const otherOrganisation = await service.bearer('payments:write', 'mof');
    expect((await refund(paid, {}, { token: otherOrganisation })).status).toBe(404);
    expect((await request(service.app).get(`/payments/v1/payments/${paid}/refunds`).set('Authorization', otherOrganisation)).status).toBe(404);
    expect((await refund(randomUUID(), {})).status).toBe(404);
    expect((await refund('not-a-uuid', {})).status).toBe(404);
    expect((await request(service.app).get(`/payments/v1/payments/${paid}/refunds/${randomUUID()}`).set('Authorization', read)).status).toBe(404);
    expect((await refund(paid, {}, { token: read })).status).toBe(403);
  });

  it.each([
    [{ amount: 12.5 }, 'amount', /whole number/],
    [{ amount: '100' }, 'amount', /whole number/],
    [{ amount: 0 }, 'amount', /at least 1/],
    [{ amount: -5 }, 'amount', /at least 1/],
    [{ amount: 15_001 }, 'amount', /at most 15000/],
    [{ reason: '' }, 'reason', /empty/],
    [{ reason: 'x'.repeat(256) }, 'reason', /255/],
    [{ colour: 'blue' }, 'colour', /./],
  ])('refuses %j with a 400 naming %s, and refunds nothing', async (body, field, reason) => {
    const id = await paidPayment();
    const refused = await refund(id, body);
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual([expect.objectContaining({ name: field, reason: expect.stringMatching(reason) })]);
    expect(await service.stores.knex('refunds').where({ payment_id: id })).toEqual([]);
  });

  it('requires an Idempotency-Key', async () => {
    const id = await paidPayment();
    const refused = await refund(id, {}, { key: null });
    expect(refused.status).toBe(400);
  });

  it('fails a refund the PSP refuses, with its notice, and gives its amount back', async () => {
    const id = await paidPayment();
    // Refunded at the PSP behind our back: the PSP has nothing left to refund.
    const { psp_payment_intent_id: intent } = await service.stores.knex('payments').where({ id }).first<{ psp_payment_intent_id: string }>('psp_payment_intent_id');
    const outside = await fetch(`${sandbox.url}/v1/refunds`, { method: 'POST', headers: { Authorization: `Bearer ${sandbox.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `payment_intent=${intent}` });
    expect(outside.status).toBe(200);
    const failed = await refund(id, { amount: 1_000 });
    expect(failed.status).toBe(201);
    expect(violations('Refund', failed.body)).toEqual([]);
    expect(failed.body).toMatchObject({ status: 'failed', failure_code: expect.any(String) });
    expect(await refundEntry(failed.body.id)).toBeUndefined();
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 0, amount_available: 15_000 });
    const notices = await service.stores.knex('outbox').where({ payment_id: id }).whereLike('event_type', 'refund.%');
    expect(notices.map((n: { event_type: string }) => n.event_type)).toEqual(['refund.failed']);
  });

  it('keeps a refund the PSP did not answer submitted, holding its amount, and settles it on a later read', async () => {
    const id = await paidPayment();
    pspDown = true;
    let submitted;
    try {
      submitted = await refund(id, { amount: 4_000 });
      expect(submitted.status).toBe(201);
      expect(violations('Refund', submitted.body)).toEqual([]);
      expect(submitted.body.status).toBe('submitted');
      expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 0, amount_available: 11_000 });
      expect(await refundEntry(submitted.body.id)).toBeUndefined();
      // Still down: a read leaves it submitted.
      expect((await request(service.app).get(`/payments/v1/payments/${id}/refunds/${submitted.body.id}`).set('Authorization', read)).body.status).toBe('submitted');
    } finally {
      pspDown = false;
    }
    const settled = await request(service.app).get(`/payments/v1/payments/${id}/refunds/${submitted.body.id}`).set('Authorization', read);
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ id: submitted.body.id, status: 'succeeded', amount: 4_000 });
    expect((await refundEntry(submitted.body.id))?.postings.map((p) => p.amount)).toEqual([4_000, -4_000]);
    expect((await payment(id)).refund_summary).toEqual({ amount_refunded: 4_000, amount_available: 11_000 });
    const notices = await service.stores.knex('outbox').where({ payment_id: id, event_type: 'refund.succeeded' });
    expect(notices).toHaveLength(1);
  });
});
