import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { createLogger, serve, type RunningServer } from '@tamkeen/http-kit';
import { logCapture, schemaViolations } from '@tamkeen/testing';
import Stripe from 'stripe';
import { createApp } from '../app.js';
import { sandboxConfig } from '../config.js';

const SECRET = 'sk_test_sandbox_tests_0123456789';
const PUBLISHABLE = 'pk_test_sandbox_tests_0123456789';
const CARD = { exp_month: 12, exp_year: 2034, cvc: '314' };
const SPEC = 'psp/stripe.yaml';

const logs = logCapture();
let clockMs = Date.parse('2026-03-02T10:00:00Z');
let sandbox: RunningServer;
/** The server side: the payments service's calls, with the secret key. */
let stripe: Stripe;
/** The browser side: Stripe.js tokenising a card with the publishable key. */
let browser: Stripe;

const clientFor = (key: string) => new Stripe(key, { host: '127.0.0.1', port: new URL(sandbox.url).port, protocol: 'http', maxNetworkRetries: 0 });
const violations = (schema: string, value: unknown) => schemaViolations(SPEC, `#/components/schemas/${schema}`, value);
const tokenise = (number: string) => browser.paymentMethods.create({ type: 'card', card: { number, ...CARD } });
const failureOf = <T>(promise: Promise<T>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Stripe.errors.StripeError,
  );

/** A raw form-encoded call, to see headers and bodies exactly as sent. */
async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${SECRET}`, ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

beforeAll(async () => {
  const config = loadConfig('sandbox', sandboxConfig, { STRIPE_SECRET_KEY: SECRET, STRIPE_PUBLISHABLE_KEY: PUBLISHABLE });
  const logger = createLogger({ service: 'sandbox', destination: logs.destination });
  sandbox = await serve(createApp({ config, logger, clock: () => clockMs }), { port: 0, host: '127.0.0.1', logger });
  stripe = clientFor(SECRET);
  browser = clientFor(PUBLISHABLE);
});

afterAll(async () => {
  await sandbox.close();
});

describe('sandbox PSP, driven by the official stripe library', () => {
  it('tokenises a card with the publishable key, then a payment with the secret key succeeds with a charge and its fees', async () => {
    const pm = await tokenise('4242424242424242');
    expect(pm).toMatchObject({ object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, funding: 'credit' } });
    expect(JSON.stringify(pm)).not.toContain('4242424242424242');
    expect(violations('PaymentMethod', pm)).toEqual([]);

    const created = await stripe.paymentIntents.create({ amount: 12_500, currency: 'ils', payment_method: pm.id, description: 'Passport renewal', metadata: { payment: 'pay_1' } });
    expect(created).toMatchObject({ status: 'requires_confirmation', amount: 12_500, currency: 'ils', capture_method: 'automatic', metadata: { payment: 'pay_1' } });
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    expect(violations('PaymentIntent', created)).toEqual([]);

    const confirmed = await stripe.paymentIntents.confirm(created.id);
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 12_500, last_payment_error: null, next_action: null });
    expect(violations('PaymentIntent', confirmed)).toEqual([]);

    const charge = await stripe.charges.retrieve(String(confirmed.latest_charge));
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, captured: true, amount: 12_500, payment_intent: created.id, payment_method: pm.id, disputed: false });
    expect(charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(violations('Charge', charge)).toEqual([]);

    // 2.9 % of ₪125.00 is ₪3.625 → 363 agorot, plus ₪1.10.
    const txn = await stripe.balanceTransactions.retrieve(String(charge.balance_transaction));
    expect(txn).toMatchObject({ type: 'charge', amount: 12_500, fee: 473, net: 12_027, currency: 'ils', source: charge.id, status: 'pending', reporting_category: 'charge' });
    expect(txn.fee_details).toEqual([{ amount: 473, application: null, currency: 'ils', description: 'Stripe processing fees', type: 'stripe_fee' }]);
    expect(txn.available_on).toBe(Date.parse('2026-03-04T00:00:00Z') / 1000);
    expect(violations('BalanceTransaction', txn)).toEqual([]);

    const listed = await stripe.balanceTransactions.list({ source: charge.id });
    expect(listed.data.map((t) => t.id)).toEqual([txn.id]);
    expect(violations('BalanceTransactionList', listed)).toEqual([]);
  });

  it('creates and confirms in one call, expanding the charge and its balance transaction', async () => {
    const pm = await tokenise('5555555555554444');
    const pi = await stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      expand: ['latest_charge.balance_transaction'],
    });
    expect(pi.status).toBe('succeeded');
    const charge = pi.latest_charge as Stripe.Charge;
    const txn = charge.balance_transaction as Stripe.BalanceTransaction;
    // 2.9 % of $20.00 = 58 cents, plus 30.
    expect(txn).toMatchObject({ amount: 2_000, fee: 88, net: 1_912 });
    expect(charge.payment_method_details?.card?.brand).toBe('mastercard');
    expect(violations('PaymentIntent', pi)).toEqual([]);
  });

  it.each([
    ['4000000000000002', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['4000000000009995', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
  ])('declines %s with a StripeCardError (%s, %s), leaving the PaymentIntent to try again', async (number, code, declineCode, message) => {
    const pm = await tokenise(number);
    const pi = await stripe.paymentIntents.create({ amount: 5_000, currency: 'usd' });
    expect(pi.status).toBe('requires_payment_method');
    const error = await failureOf(stripe.paymentIntents.confirm(pi.id, { payment_method: pm.id }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, type: 'StripeCardError', code, decline_code: declineCode, message });
    expect(error.payment_intent).toMatchObject({ id: pi.id, status: 'requires_payment_method', payment_method: null });
    expect(error.payment_intent?.last_payment_error).toMatchObject({ type: 'card_error', code, decline_code: declineCode, payment_method: { id: pm.id } });
    expect(violations('Error', error.raw === undefined ? undefined : { error: error.raw })).toEqual([]);

    const failedCharge = await stripe.charges.retrieve(String(error.charge));
    expect(failedCharge).toMatchObject({ status: 'failed', paid: false, failure_code: code, balance_transaction: null, outcome: { type: 'issuer_declined', reason: declineCode } });
    expect(violations('Charge', failedCharge)).toEqual([]);

    // Another card on the same PaymentIntent goes through.
    const good = await tokenise('4242424242424242');
    expect((await stripe.paymentIntents.confirm(pi.id, { payment_method: good.id })).status).toBe('succeeded');
  });

  it('refuses a bad card number and an expired card when tokenising', async () => {
    expect(await failureOf(tokenise('4242424242424241'))).toMatchObject({ statusCode: 402, code: 'incorrect_number', param: 'card[number]' });
    const expired = await failureOf(browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 1, exp_year: 2025, cvc: '123' } }));
    expect(expired).toMatchObject({ statusCode: 402, code: 'invalid_expiry_year' });
    expect(expired.message).not.toContain('4242424242424242');
  });

  it('keeps the publishable key to creating PaymentMethods, and refuses unknown keys with 401', async () => {
    const refused = await failureOf(browser.paymentIntents.create({ amount: 1_000, currency: 'usd' }));
    expect(refused).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(refused.statusCode).toBe(403);
    const pm = await tokenise('4242424242424242');
    expect(await failureOf(browser.paymentMethods.retrieve(pm.id))).toMatchObject({ statusCode: 403 });

    const stranger = await failureOf(clientFor('sk_test_not_this_account_key').paymentIntents.list());
    expect(stranger).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(stranger.statusCode).toBe(401);
    expect(stranger.message).toMatch(/^Invalid API Key provided: sk_test_\**_key$/);
    const none = await call('GET', '/v1/payment_intents', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    expect(violations('Error', none.body)).toEqual([]);
  });

  it('answers 404 resource_missing for ids it does not know', async () => {
    const lookups: Array<() => Promise<unknown>> = [
      () => stripe.paymentIntents.retrieve('pi_doesnotexist'),
      () => stripe.paymentIntents.confirm('pi_doesnotexist'),
      () => stripe.paymentMethods.retrieve('pm_doesnotexist'),
      () => stripe.charges.retrieve('ch_doesnotexist'),
      () => stripe.balanceTransactions.retrieve('txn_doesnotexist'),
    ];
    for (const lookup of lookups) {
      const error = await failureOf(lookup());
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    }
    const unknownUrl = await call('GET', '/v1/customers');
    expect(unknownUrl.status).toBe(404);
    expect(unknownUrl.body.error.message).toMatch(/^Unrecognized request URL \(GET: \/v1\/customers\)/);
  });

  it('applies Stripe\'s amount rules: JOD amounts must end in 0, and every amount must convert to at least 50 cents', async () => {
    const jod = await failureOf(stripe.paymentIntents.create({ amount: 10_005, currency: 'jod' }));
    expect(jod).toMatchObject({ statusCode: 400, code: 'invalid_charge_amount', param: 'amount' });
    const small = await failureOf(stripe.paymentIntents.create({ amount: 100, currency: 'ils' }));
    expect(small).toMatchObject({ statusCode: 400, code: 'amount_too_small', param: 'amount' });
    expect(small.message).toBe('Amount must convert to at least 50 cents. ₪1.00 converts to approximately $0.27.');
    expect(await failureOf(stripe.paymentIntents.create({ amount: 1_000, currency: 'eur' }))).toMatchObject({ statusCode: 400, param: 'currency' });
    expect(await failureOf(stripe.paymentIntents.create({ amount: 0, currency: 'usd' }))).toMatchObject({ statusCode: 400, param: 'amount' });

    const pm = await tokenise('4242424242424242');
    const pi = await stripe.paymentIntents.create({ amount: 10_000, currency: 'jod', payment_method: pm.id, confirm: true, expand: ['latest_charge.balance_transaction'] });
    // 2.9 % of JOD 10.000 = 0.290, plus 0.210.
    expect((pi.latest_charge as Stripe.Charge).balance_transaction).toMatchObject({ amount: 10_000, fee: 500, net: 9_500, currency: 'jod' });
  });

  it('updates before confirmation, then refuses to change the amount of a payment that succeeded; cancels only what has not', async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd', metadata: { a: '1', b: '2' } });
    const updated = await stripe.paymentIntents.update(pi.id, { amount: 1_500, description: 'Fee', metadata: { a: '', c: '3' } });
    expect(updated).toMatchObject({ amount: 1_500, description: 'Fee', metadata: { b: '2', c: '3' } });
    const pm = await tokenise('4242424242424242');
    await stripe.paymentIntents.confirm(pi.id, { payment_method: pm.id });
    const refused = await failureOf(stripe.paymentIntents.update(pi.id, { amount: 2_000 }));
    expect(refused).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect((await stripe.paymentIntents.update(pi.id, { metadata: { reconciled: 'no' } })).metadata).toEqual({ b: '2', c: '3', reconciled: 'no' });
    expect(await failureOf(stripe.paymentIntents.cancel(pi.id))).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });

    const other = await stripe.paymentIntents.create({ amount: 1_000, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(other.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', canceled_at: Math.floor(clockMs / 1000) });
    expect(await failureOf(stripe.paymentIntents.confirm(other.id, { payment_method: pm.id }))).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('lists newest first, pages with starting_after, filters by created', async () => {
    clockMs = Date.parse('2026-03-10T08:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await stripe.paymentIntents.create({ amount: 1_000 + i * 10, currency: 'usd' })).id);
    const since = Math.floor(clockMs / 1000);
    const first = await stripe.paymentIntents.list({ limit: 2, created: { gte: since } });
    expect(first.data.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    expect(violations('PaymentIntentList', first)).toEqual([]);
    const second = await stripe.paymentIntents.list({ limit: 2, created: { gte: since }, starting_after: ids[1] });
    expect(second.data.map((p) => p.id)).toEqual([ids[0]]);
    expect(second.has_more).toBe(false);
    const all: string[] = [];
    for await (const pi of stripe.paymentIntents.list({ limit: 1, created: { gte: since } })) all.push(pi.id);
    expect(all).toEqual([...ids].reverse());
    expect((await stripe.paymentIntents.list({ created: { lt: since } })).data.every((p) => p.created < since)).toBe(true);
  });

  it('marks the charge of 4000000000000259 disputed (the Dispute itself: refunds-disputes-events.test.ts)', async () => {
    const pm = await tokenise('4000000000000259');
    const pi = await stripe.paymentIntents.create({ amount: 3_000, currency: 'usd', payment_method: pm.id, confirm: true, expand: ['latest_charge'] });
    expect(pi.status).toBe('succeeded');
    expect((pi.latest_charge as Stripe.Charge).disputed).toBe(true);
  });
});

describe('idempotent requests', () => {
  it('replays the first answer for the same key and parameters, with Idempotent-Replayed', async () => {
    const body = 'amount=2500&currency=usd&metadata[order]=A-1';
    const first = await call('POST', '/v1/payment_intents', body, { 'idempotency-key': 'order-A-1' });
    const again = await call('POST', '/v1/payment_intents', 'currency=usd&amount=2500&metadata%5Border%5D=A-1', { 'idempotency-key': 'order-A-1' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('original-request')).toBe(first.headers.get('request-id'));

    const viaLibrary = await stripe.paymentIntents.create({ amount: 2_500, currency: 'usd', metadata: { order: 'A-1' } }, { idempotencyKey: 'order-A-1' });
    expect(viaLibrary.id).toBe(first.body.id);
  });

  it('refuses the same key with other parameters (idempotency_error), or on another endpoint', async () => {
    await stripe.paymentIntents.create({ amount: 2_500, currency: 'usd' }, { idempotencyKey: 'order-B-1' });
    const error = await failureOf(stripe.paymentIntents.create({ amount: 2_600, currency: 'usd' }, { idempotencyKey: 'order-B-1' }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' });
    expect(error.message).toMatch(/same parameters/);
    const elsewhere = await call('POST', '/v1/payment_methods', 'type=card', { 'idempotency-key': 'order-B-1' });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.type).toBe('idempotency_error');
  });

  it('replays a decline as it was (402), but lets a request refused by validation be retried with its key', async () => {
    const pm = await tokenise('4000000000000002');
    const pi = await stripe.paymentIntents.create({ amount: 5_000, currency: 'usd' });
    const declined = await call('POST', `/v1/payment_intents/${pi.id}/confirm`, `payment_method=${pm.id}`, { 'idempotency-key': 'confirm-1' });
    const replayed = await call('POST', `/v1/payment_intents/${pi.id}/confirm`, `payment_method=${pm.id}`, { 'idempotency-key': 'confirm-1' });
    expect(declined.status).toBe(402);
    expect(replayed.status).toBe(402);
    expect(replayed.body).toEqual(declined.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');

    const invalid = await call('POST', '/v1/payment_intents', 'amount=10&currency=usd', { 'idempotency-key': 'retry-me' });
    expect(invalid.status).toBe(400);
    const retried = await call('POST', '/v1/payment_intents', 'amount=1000&currency=usd', { 'idempotency-key': 'retry-me' });
    expect(retried.status).toBe(200);
  });

  it('scopes keys per API key', async () => {
    const a = await browser.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', ...CARD } }, { idempotencyKey: 'shared-key' });
    const b = await stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', ...CARD } }, { idempotencyKey: 'shared-key' });
    expect(b.id).not.toBe(a.id);
    expect(b.card?.fingerprint).toBe(a.card?.fingerprint);
  });
});

describe('3-D Secure', () => {
  async function requiringAction() {
    const pm = await tokenise('4000002500003155');
    const pi = await stripe.paymentIntents.create({ amount: 7_000, currency: 'ils', payment_method: pm.id, description: 'Birth certificate' });
    const confirmed = await stripe.paymentIntents.confirm(pi.id, { return_url: 'http://localhost:4002/pay/pay_123/return' });
    expect(confirmed.status).toBe('requires_action');
    expect(confirmed.next_action?.type).toBe('redirect_to_url');
    expect(violations('PaymentIntent', confirmed)).toEqual([]);
    const url = String(confirmed.next_action?.redirect_to_url?.url);
    expect(url.startsWith(`${sandbox.url}/stripe/3d-secure/`)).toBe(true);
    expect(confirmed.next_action?.redirect_to_url?.return_url).toBe('http://localhost:4002/pay/pay_123/return');
    const page = await (await fetch(url)).text();
    expect(page).toContain('<button type="submit" name="outcome" value="complete">Complete</button>');
    expect(page).toContain('<button type="submit" name="outcome" value="fail">Fail</button>');
    expect(page).toContain('₪70.00');
    expect(page).not.toMatch(/<script/i);
    const form = /<form method="post" action="([^"]+)">/.exec(page)?.[1];
    return { pi: confirmed, formUrl: new URL(String(form), sandbox.url).toString() };
  }

  const submit = (formUrl: string, outcome: string) =>
    fetch(formUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `outcome=${outcome}` });

  it('"Complete" succeeds the payment and sends the cardholder back to return_url', async () => {
    const { pi, formUrl } = await requiringAction();
    const answer = await submit(formUrl, 'complete');
    expect(answer.status).toBe(303);
    const location = new URL(String(answer.headers.get('location')));
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:4002/pay/pay_123/return');
    expect(location.searchParams.get('payment_intent')).toBe(pi.id);
    expect(location.searchParams.get('payment_intent_client_secret')).toBe(pi.client_secret);
    expect(location.searchParams.get('redirect_status')).toBe('succeeded');

    const after = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    expect(after).toMatchObject({ status: 'succeeded', next_action: null });
    expect((after.latest_charge as Stripe.Charge).payment_method_details?.card?.three_d_secure).toMatchObject({ result: 'authenticated' });
    // The challenge is spent.
    expect((await submit(formUrl, 'complete')).status).toBe(404);
  });

  it('"Fail" sends the PaymentIntent back to requires_payment_method with last_payment_error', async () => {
    const { pi, formUrl } = await requiringAction();
    const answer = await submit(formUrl, 'fail');
    expect(answer.status).toBe(303);
    expect(new URL(String(answer.headers.get('location'))).searchParams.get('redirect_status')).toBe('failed');
    const after = await stripe.paymentIntents.retrieve(pi.id);
    expect(after).toMatchObject({ status: 'requires_payment_method', latest_charge: null, next_action: null, payment_method: null });
    expect(after.last_payment_error).toMatchObject({ code: 'payment_intent_authentication_failure', type: 'invalid_request_error' });
    expect(violations('PaymentIntent', after)).toEqual([]);
  });
});

describe('what the sandbox logs', () => {
  it('never a card number or the body of a request', () => {
    const text = logs.text();
    expect(text).toContain('/v1/payment_methods');
    for (const number of ['4242424242424242', '4000000000000002', '4000002500003155', '4242424242424241']) expect(text).not.toContain(number);
    expect(text).not.toContain('card[');
    expect(logs.lines.every((line) => line.body === undefined)).toBe(true);
  });
});
