import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@tamkeen/testing';
import { intentKeys, PspRequestRefused, PspUnavailable, type PaymentProvider } from './payment-provider.js';
import { STRIPE_API_VERSION, stripeAdapter } from './stripe-adapter.js';
import { startSandbox, type RunningSandbox } from './test-sandbox.js';

const SUCCESS = '4242424242424242';
const INSUFFICIENT_FUNDS = '4000000000009995';
const GENERIC_DECLINE = '4000000000000002';
const THREE_D_SECURE = '4000002500003155';
const RETURN_URL = 'http://localhost:8080/pay/pay_test/return';

let sandbox: RunningSandbox;
let psp: PaymentProvider;

beforeAll(async () => {
  sandbox = await startSandbox();
  psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
});
afterAll(() => sandbox.stop());

const paymentId = () => `pay_${randomUUID().replaceAll('-', '')}`;

async function newIntent(amount = 12_500, currency: 'ILS' | 'USD' | 'JOD' = 'ILS') {
  const id = paymentId();
  const intent = await psp.createIntent({ paymentId: id, amount: { amount, currency }, description: 'Passport renewal' });
  return { paymentId: id, intent };
}

/** Answers the sandbox's 3-D Secure page as the citizen would: Complete or Fail. */
async function answerChallenge(redirectUrl: string, outcome: 'complete' | 'fail'): Promise<string | null> {
  const response = await fetch(redirectUrl, { method: 'POST', body: new URLSearchParams({ outcome }), redirect: 'manual' });
  expect(response.status).toBe(303);
  return response.headers.get('location');
}

describe('the Stripe adapter, against the sandbox PSP', () => {
  it('creates an intent for a payment and confirms it with a card tokenised in the browser: succeeded', async () => {
    const { paymentId: id, intent } = await newIntent(12_500, 'ILS');
    expect(intent).toEqual({ intentId: expect.stringMatching(/^pi_/), clientSecret: expect.stringMatching(new RegExp(`^${intent.intentId}_secret_`)), status: 'requires_payment_method' });

    const card = await sandbox.tokenise(SUCCESS);
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: card, returnUrl: RETURN_URL });
    // The fee comes with the answer (the charge's balance transaction, expanded): the sandbox's
    // documented 2.9 % + ₪1.10 of ₪125.00 is 363 + 110 agorot, available at 00:00 UTC two days on.
    expect(outcome).toEqual({
      kind: 'succeeded',
      intentId: intent.intentId,
      chargeId: expect.stringMatching(/^ch_/),
      fee: { balanceTransactionId: expect.stringMatching(/^txn_/), fee: 473, net: 12_027, currency: 'ILS', availableOn: expect.any(Date) },
    });
    if (outcome.kind !== 'succeeded' || !outcome.fee) throw new Error('unreachable');
    const days = (outcome.fee.availableOn.getTime() - Date.now()) / 86_400_000;
    expect(outcome.fee.availableOn.getTime() % 86_400_000).toBe(0);
    expect(days > 1 && days <= 2).toBe(true);

    const snapshot = await psp.retrieveIntent(intent.intentId);
    expect(snapshot).toEqual({
      intentId: intent.intentId,
      clientSecret: intent.clientSecret,
      status: 'succeeded',
      amount: { amount: 12_500, currency: 'ILS' },
      paymentId: id,
      outcome,
    });
  });

  it('sends three-decimal currencies in minor units, lower-cased', async () => {
    const { intent } = await newIntent(2_510, 'JOD');
    expect((await psp.retrieveIntent(intent.intentId)).amount).toEqual({ amount: 2_510, currency: 'JOD' });
  });

  it('gives a decline as an outcome with the issuer’s reason; another card on the same intent can still succeed', async () => {
    const { intent } = await newIntent(5_000, 'USD');
    const declined = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(INSUFFICIENT_FUNDS), returnUrl: RETURN_URL });
    expect(declined).toEqual({ kind: 'declined', intentId: intent.intentId, code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    expect(await psp.retrieveIntent(intent.intentId)).toMatchObject({ status: 'requires_payment_method', outcome: declined });

    const generic = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(GENERIC_DECLINE), returnUrl: RETURN_URL });
    expect(generic).toMatchObject({ kind: 'declined', code: 'card_declined', declineCode: 'generic_decline' });

    const succeeded = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: RETURN_URL });
    expect(succeeded).toMatchObject({ kind: 'succeeded', intentId: intent.intentId });
  });

  it('gives a 3-D Secure card as requires_action with the challenge page; the intent then says how it ended', async () => {
    const { intent } = await newIntent();
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(THREE_D_SECURE), returnUrl: RETURN_URL });
    expect(outcome).toEqual({ kind: 'requires_action', intentId: intent.intentId, redirectUrl: expect.stringMatching(new RegExp(`^${sandbox.url}/stripe/3d-secure/`)) });
    expect(await psp.retrieveIntent(intent.intentId)).toMatchObject({ status: 'requires_action', outcome });
    if (outcome.kind !== 'requires_action') throw new Error('unreachable');

    const back = new URL((await answerChallenge(outcome.redirectUrl, 'complete'))!);
    expect(`${back.origin}${back.pathname}`).toBe(RETURN_URL);
    expect(back.searchParams.get('payment_intent')).toBe(intent.intentId);
    expect(await psp.retrieveIntent(intent.intentId)).toMatchObject({ status: 'succeeded', outcome: { kind: 'succeeded', chargeId: expect.stringMatching(/^ch_/), fee: { fee: 473, net: 12_027, currency: 'ILS' } } });
  });

  it('gives a failed 3-D Secure challenge as failed, not as a decline', async () => {
    const { intent } = await newIntent();
    const outcome = await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(THREE_D_SECURE), returnUrl: RETURN_URL });
    if (outcome.kind !== 'requires_action') throw new Error(`expected requires_action, got ${outcome.kind}`);
    await answerChallenge(outcome.redirectUrl, 'fail');
    expect(await psp.retrieveIntent(intent.intentId)).toMatchObject({
      status: 'requires_payment_method',
      outcome: { kind: 'failed', code: 'payment_intent_authentication_failure' },
    });
  });

  it('repeats a call after a crash as the same call: the same intent, the same charge', async () => {
    const id = paymentId();
    const input = { paymentId: id, amount: { amount: 7_000, currency: 'ILS' as const }, description: 'Birth certificate' };
    const [first, again] = [await psp.createIntent(input), await psp.createIntent(input)];
    expect(again).toEqual(first);

    const card = await sandbox.tokenise(SUCCESS);
    const confirm = { intentId: first.intentId, paymentMethodId: card, returnUrl: RETURN_URL };
    const charged = await psp.confirmIntent(confirm);
    expect(charged.kind).toBe('succeeded');
    expect(await psp.confirmIntent(confirm)).toEqual(charged);

    // Another attempt (another card, so another key) on an intent that has succeeded: still the one success.
    expect(await psp.confirmIntent({ ...confirm, paymentMethodId: await sandbox.tokenise(SUCCESS) })).toEqual(charged);
  });

  it('cancels an intent that has not succeeded, idempotently', async () => {
    const { intent } = await newIntent();
    const cancelled = await psp.cancelIntent({ intentId: intent.intentId, reason: 'abandoned' });
    expect(cancelled).toMatchObject({ status: 'cancelled', outcome: { kind: 'failed', code: 'intent_cancelled' } });
    expect(await psp.cancelIntent({ intentId: intent.intentId, reason: 'abandoned' })).toEqual(cancelled);
    // Confirming it now is refused by its state: an outcome, not an exception.
    expect(await psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: await sandbox.tokenise(SUCCESS), returnUrl: RETURN_URL })).toMatchObject({
      kind: 'failed',
      code: 'payment_intent_unexpected_state',
    });
  });

  it('refuses what the PSP refuses (a wrong key, an unknown intent or card token) as PspRequestRefused, never echoing the key', async () => {
    const wrongKey = stripeAdapter({ apiUrl: sandbox.url, secretKey: 'sk_test_not_the_sandbox_key_123456' });
    const error = await wrongKey.retrieveIntent('pi_123').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PspRequestRefused);
    expect(error).toMatchObject({ status: 401 });
    expect(String((error as Error).message)).not.toContain('not_the_sandbox_key');

    await expect(psp.retrieveIntent('pi_doesnotexist')).rejects.toMatchObject({ name: 'PspRequestRefused', status: 404, code: 'resource_missing' });
    const { intent } = await newIntent();
    await expect(psp.confirmIntent({ intentId: intent.intentId, paymentMethodId: 'pm_doesnotexist', returnUrl: RETURN_URL })).rejects.toMatchObject({
      name: 'PspRequestRefused',
      status: 404,
      param: 'payment_method',
    });
  });
});

describe('the Stripe adapter when the PSP is down', () => {
  const requests: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
  let answer: (res: ServerResponse) => void = (res) => res.writeHead(500).end();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));

  const input = { paymentId: 'pay_down', amount: { amount: 12_500, currency: 'ILS' as const }, description: 'Passport renewal' };

  it('gives a 5xx or a 429 as PspUnavailable (with its status), not as a decline; the request was Stripe’s', async () => {
    answer = (res) => res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: 'Try again later.' } }));
    const psp = stripeAdapter({ apiUrl: url, secretKey: 'sk_test_recorded_key_0000' });
    await expect(psp.createIntent(input)).rejects.toMatchObject({ name: 'PspUnavailable', status: 503 });

    answer = (res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad gateway</h1>');
    await expect(psp.confirmIntent({ intentId: 'pi_1', paymentMethodId: 'pm_1', returnUrl: RETURN_URL })).rejects.toBeInstanceOf(PspUnavailable);
    answer = (res) => res.writeHead(429, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'rate_limit' } }));
    await expect(psp.retrieveIntent('pi_1')).rejects.toMatchObject({ name: 'PspUnavailable', status: 429 });

    const [create, confirm, retrieve] = requests.slice(-3);
    expect(create).toMatchObject({ method: 'POST', url: '/v1/payment_intents' });
    expect(create!.headers).toMatchObject({
      authorization: 'Bearer sk_test_recorded_key_0000',
      'stripe-version': STRIPE_API_VERSION,
      'content-type': 'application/x-www-form-urlencoded',
      'idempotency-key': intentKeys.create('pay_down'),
    });
    expect(Object.fromEntries(new URLSearchParams(create!.body))).toEqual({
      amount: '12500',
      currency: 'ils',
      description: 'Passport renewal',
      'payment_method_types[0]': 'card',
      'metadata[payment_id]': 'pay_down',
    });
    expect(confirm).toMatchObject({ method: 'POST', url: '/v1/payment_intents/pi_1/confirm' });
    expect(confirm!.headers['idempotency-key']).toBe(intentKeys.confirm('pi_1', 'pm_1'));
    // Read with its charge's balance transaction (the fee), in Stripe's brackets.
    expect(retrieve).toMatchObject({ method: 'GET', url: `/v1/payment_intents/pi_1?${new URLSearchParams({ 'expand[0]': 'latest_charge.balance_transaction' })}` });
    expect(retrieve!.headers['idempotency-key']).toBeUndefined();
  });

  it('gives no answer within the timeout as PspUnavailable', async () => {
    answer = () => undefined; // never answers
    const psp = stripeAdapter({ apiUrl: url, secretKey: 'sk_test_recorded_key_0000', timeoutMs: 200 });
    const started = Date.now();
    await expect(psp.createIntent(input)).rejects.toMatchObject({ name: 'PspUnavailable', message: 'the PSP did not answer creating a payment intent within 200 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives a PSP that cannot be reached as PspUnavailable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const psp = stripeAdapter({ apiUrl: closed, secretKey: 'sk_test_recorded_key_0000' });
    const error = await psp.createIntent(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PspUnavailable);
    expect((error as PspUnavailable).message).toBe('the PSP could not be reached for creating a payment intent (ECONNREFUSED)');
    expect((error as PspUnavailable).status).toBeUndefined();
  });
});
