import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import type { Currency } from '../domain/money.js';
import { paymentRepository, type PaymentRepository } from '../payments/payment-repository.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { PLATFORM_ORGANISATION_ID } from './ledger-routes.js';

let service: TestPayments;
let payments: PaymentRepository;

beforeAll(async () => {
  service = await testPayments('payments ledger api');
  payments = paymentRepository(service.stores.knex);
});
afterAll(() => service.close());

const violations = (body: unknown) => schemaViolations('payments.yaml', '#/components/schemas/TrialBalance', body);

async function succeeded(organisationId: string, amount: number, currency: Currency): Promise<string> {
  const { payment } = await payments.create({
    organisationId,
    clientId: `${organisationId}-service`,
    amount,
    currency,
    reference: 'FEE-1',
    description: 'A fee',
    returnUrl: 'https://example.gov.ps/paid',
    email: null,
    phoneNumber: null,
    metadata: {},
    expiresAt: new Date(Date.now() + 60 * 60_000),
    idempotencyKey: randomUUID(),
    requestHash: 'h',
  });
  for (const event of ['start', 'submit', 'succeed'] as const) await payments.transition(payment.id, event);
  return payment.id;
}

async function trialBalance(query: Record<string, string>, scope = 'reconciliation:read', organisation = PLATFORM_ORGANISATION_ID) {
  return request(service.app).get('/payments/v1/ledger/trial-balance').query(query).set('Authorization', await service.bearer(scope, organisation));
}

describe('GET /payments/v1/ledger/trial-balance', () => {
  it('shows the platform\'s finance staff every account, with debits equal to credits in every currency', async () => {
    await succeeded('moi', 15_000, 'ILS');
    await succeeded('mohe', 2_500, 'JOD');
    await succeeded('moi', 500, 'ILS');
    const res = await trialBalance({});
    expect(res.status).toBe(200);
    expect(violations(res.body)).toEqual([]);
    expect(res.body.scope).toBe('platform');
    expect(res.body.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: 'psp_receivable', currency: 'ILS', kind: 'asset', organisation_id: null, debit: 15_500, credit: 0, balance: 15_500 }),
        expect.objectContaining({ account: 'ministry_revenue:moi', currency: 'ILS', kind: 'liability', organisation_id: 'moi', debit: 0, credit: 15_500, balance: -15_500 }),
        expect.objectContaining({ account: 'psp_receivable', currency: 'JOD', debit: 2_500 }),
        expect.objectContaining({ account: 'ministry_revenue:mohe', currency: 'JOD', credit: 2_500 }),
      ]),
    );
    expect(res.body.totals).toEqual([
      { currency: 'ILS', debit: 15_500, credit: 15_500, net: 0 },
      { currency: 'JOD', debit: 2_500, credit: 2_500, net: 0 },
    ]);
  });

  it('answers at a point in time, and for one currency', async () => {
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await succeeded('moi', 1_000, 'USD');
    const then = await trialBalance({ at: before, currency: 'USD' });
    expect(then.status).toBe(200);
    expect(violations(then.body)).toEqual([]);
    expect(then.body).toMatchObject({ at: before, accounts: [], totals: [] });
    const now = await trialBalance({ currency: 'USD' });
    expect(now.body.accounts.map((a: { account: string }) => a.account).sort()).toEqual(['ministry_revenue:moi', 'psp_receivable']);
    expect(now.body.totals).toEqual([{ currency: 'USD', debit: 1_000, credit: 1_000, net: 0 }]);
  });

  it('shows a ministry\'s finance officer only its own accounts, never the shared ones or another ministry\'s', async () => {
    const res = await trialBalance({}, 'reconciliation:read', 'moi');
    expect(res.status).toBe(200);
    expect(violations(res.body)).toEqual([]);
    expect(res.body.scope).toBe('organisation');
    expect(res.body.accounts.length).toBeGreaterThan(0);
    expect(res.body.accounts.every((a: { account: string; organisation_id: string }) => a.account === 'ministry_revenue:moi' && a.organisation_id === 'moi')).toBe(true);
    expect(res.body.totals.find((t: { currency: string }) => t.currency === 'ILS')).toEqual({ currency: 'ILS', debit: 0, credit: 15_500, net: -15_500 });
  });

  it('needs reconciliation:read', async () => {
    const res = await trialBalance({}, 'payments:read payments:write', 'moi');
    expect(res.status).toBe(403);
    const anonymous = await request(service.app).get('/payments/v1/ledger/trial-balance');
    expect(anonymous.status).toBe(401);
  });

  it('answers a wrong at or currency with a 400 naming the field', async () => {
    for (const [query, name] of [
      [{ at: 'yesterday' }, 'at'],
      [{ at: '2026-11-27' }, 'at'],
      [{ currency: 'EUR' }, 'currency'],
      [{ currency: 'ils' }, 'currency'],
      [{ account: 'psp_receivable' }, 'account'],
    ] as const) {
      const res = await trialBalance(query);
      expect(res.status).toBe(400);
      expect(res.body.invalid_params).toEqual([expect.objectContaining({ name })]);
    }
  });
});
