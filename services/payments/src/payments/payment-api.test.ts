import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testPayments, type TestPayments } from '../test-payments.js';

let service: TestPayments;
let write: string;
let read: string;

beforeAll(async () => {
  service = await testPayments('payments api');
  write = await service.bearer('payments:write');
  read = await service.bearer('payments:read');
});
afterAll(() => service.close());

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0001', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);

function create(body: object, { key = randomUUID(), token = write }: { key?: string | null; token?: string } = {}) {
  const call = request(service.app).post('/payments/v1/payments').set('Authorization', token);
  return key === null ? call.send(body) : call.set('Idempotency-Key', key).send(body);
}

describe('creating a payment', () => {
  it('answers 201 with the payment, created, and the page to send the citizen to', async () => {
    const created = await create({ ...passport, email: 'layla@example.org', phone_number: '059 912 3456', metadata: { office: 'ramallah', counter: 3 } });
    expect(created.status).toBe(201);
    expect(violations('Payment', created.body)).toEqual([]);
    expect(created.body).toMatchObject({ amount: 15_000, currency: 'ILS', status: 'created', phone_number: '+970599123456', metadata: { office: 'ramallah', counter: '3' } });
    expect(created.body.next_url).toBe(`http://localhost:8080/pay/${created.body.id}`);
    expect(created.headers.location).toBe(`/payments/v1/payments/${created.body.id}`);
    // 90 minutes to complete it.
    expect(Date.parse(created.body.expires_at) - Date.parse(created.body.created_at)).toBeGreaterThan(89 * 60_000);
  });

  it('takes dinars with three decimals, in the tens of fils cards can be charged', async () => {
    const created = await create({ ...passport, amount: 2_510, currency: 'JOD' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amount: 2_510, currency: 'JOD' });
    const refused = await create({ ...passport, amount: 2_505, currency: 'JOD' });
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual([expect.objectContaining({ name: 'amount', reason: expect.stringMatching(/multiple of 10/) })]);
  });

  it('answers the same key and request with the first answer, and the same key with another request with a 422', async () => {
    const key = randomUUID();
    const first = await create(passport, { key });
    const again = await create({ ...passport }, { key });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await create({ ...passport, amount: 16_000 }, { key });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused', payment_id: first.body.id });
  });

  it('creates one payment for racing requests with one key', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => create(passport, { key })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
  });

  it.each([
    [{ ...passport, amount: 12.5 }, 'amount', /1\.50 ILS is 150/],
    [{ ...passport, amount: 0 }, 'amount', /at least 1/],
    [{ ...passport, amount: '15000' }, 'amount', /whole number/],
    [{ ...passport, currency: 'EUR' }, 'currency', /ILS, USD, JOD/],
    [{ ...passport, reference: ' ' }, 'reference', /empty/],
    [{ ...passport, description: 'x'.repeat(256) }, 'description', /255/],
    [{ ...passport, return_url: 'http://passports.moi.gov.ps/paid' }, 'return_url', /https/],
    [{ ...passport, return_url: 'not a url' }, 'return_url', /https/],
    [{ ...passport, email: 'not-an-address' }, 'email', /e-mail/],
    [{ ...passport, phone_number: '123' }, 'phone_number', /./],
    [{ ...passport, metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', /10 keys/],
    [{ ...passport, metadata: { 'no spaces': 'v' } }, 'metadata', /keys/],
    [{ ...passport, colour: 'blue' }, 'colour', /./],
  ])('refuses %j with a 400 naming %s, and creates nothing', async (body, field, reason) => {
    const before = await service.stores.knex('payments').count({ n: '*' }).first();
    const refused = await create(body);
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual(expect.arrayContaining([expect.objectContaining({ name: expect.stringContaining(field), reason: expect.stringMatching(reason) })]));
    expect(await service.stores.knex('payments').count({ n: '*' }).first()).toEqual(before);
  });

  it('requires an Idempotency-Key, and payments:write', async () => {
    const keyless = await create(passport, { key: null });
    expect(keyless.status).toBe(400);
    expect(keyless.body.invalid_params).toEqual([expect.objectContaining({ name: 'Idempotency-Key' })]);
    expect((await create(passport, { token: read })).status).toBe(403);
    expect((await create(passport, { token: 'Bearer nonsense' })).status).toBe(401);
  });
});

describe('reading payments', () => {
  it('shows a payment to its organisation only', async () => {
    const created = await create(passport);
    const mine = await request(service.app).get(`/payments/v1/payments/${created.body.id}`).set('Authorization', read);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(created.body);
    const theirs = await request(service.app).get(`/payments/v1/payments/${created.body.id}`).set('Authorization', await service.bearer('payments:read', 'moh'));
    expect(theirs.status).toBe(404);
    expect((await request(service.app).get('/payments/v1/payments/not-a-uuid').set('Authorization', read)).status).toBe(404);
  });

  it('lists them newest first, filtered, a page at a time', async () => {
    const reference = `LIST-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ ...passport, reference })).body.id);
    const firstPage = await request(service.app).get('/payments/v1/payments').query({ reference, limit: 2 }).set('Authorization', read);
    expect(firstPage.status).toBe(200);
    expect(firstPage.body.payments.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
    const secondPage = await request(service.app).get('/payments/v1/payments').query({ reference, limit: 2, cursor: firstPage.body.next_cursor }).set('Authorization', read);
    expect(secondPage.body).toEqual({ payments: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    const bad = await request(service.app).get('/payments/v1/payments').query({ status: 'paid', cursor: 'nonsense' }).set('Authorization', read);
    expect(bad.status).toBe(400);
    expect(bad.body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'status']);
  });
});

describe('cancelling and expiry', () => {
  it('cancels a payment the citizen has not submitted, once, and says so in its history', async () => {
    const created = await create(passport);
    const cancel = () => request(service.app).post(`/payments/v1/payments/${created.body.id}/cancel`).set('Authorization', write);
    const cancelled = await cancel();
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body).not.toHaveProperty('next_url');
    expect((await cancel()).body.status).toBe('cancelled');
    const history = await request(service.app).get(`/payments/v1/payments/${created.body.id}/events`).set('Authorization', read);
    expect(violations('PaymentEvents', history.body)).toEqual([]);
    expect(history.body.events.map((e: { event: string }) => e.event)).toEqual(['create', 'cancel']);
  });

  it('refuses to cancel a submitted payment, with 409 and its status', async () => {
    const created = await create(passport);
    await service.stores.knex('payments').where({ id: created.body.id }).update({ status: 'submitted' });
    const refused = await request(service.app).post(`/payments/v1/payments/${created.body.id}/cancel`).set('Authorization', write);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'not_cancellable', status: 'submitted' });
  });

  it('shows a payment past its 90 minutes as expired, and no longer payable', async () => {
    const created = await create(passport);
    const later = new Date(service.clock.now.getTime());
    service.clock.now = new Date(later.getTime() + 91 * 60_000);
    try {
      const read1 = await request(service.app).get(`/payments/v1/payments/${created.body.id}`).set('Authorization', read);
      expect(read1.body.status).toBe('expired');
      expect(read1.body).not.toHaveProperty('next_url');
      const cancelled = await request(service.app).post(`/payments/v1/payments/${created.body.id}/cancel`).set('Authorization', write);
      expect(cancelled.status).toBe(409);
    } finally {
      service.clock.now = later;
    }
  });
});
