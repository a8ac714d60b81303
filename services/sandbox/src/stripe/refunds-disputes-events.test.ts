import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { createLogger, serve, type RunningServer } from '@tamkeen/http-kit';
import { logCapture, schemaViolations, waitFor } from '@tamkeen/testing';
import Stripe from 'stripe';
import { createApp } from '../app.js';
import { sandboxConfig } from '../config.js';

const SECRET = 'sk_test_sandbox_tests_0123456789';
const PUBLISHABLE = 'pk_test_sandbox_tests_0123456789';
const WEBHOOK_SECRET = 'whsec_sandbox_tests_0123456789';
const CARD = { exp_month: 12, exp_year: 2034, cvc: '314' };
const SPEC = 'psp/stripe.yaml';

const logs = logCapture();
let clockMs = Date.parse('2026-03-02T10:00:00Z');
let sandbox: RunningServer;
let receiver: Server;
let stripe: Stripe;
let browser: Stripe;

interface Delivery {
  path: string;
  body: string;
  signature: string;
  answered: number;
}
const deliveries: Delivery[] = [];
/** Event types the receiver answers 500 to, the first time it sees each event. */
const failOnce = new Set<string>();
const failed = new Set<string>();

const violations = (schema: string, value: unknown) => schemaViolations(SPEC, `#/components/schemas/${schema}`, value);
const clientFor = (key: string) => new Stripe(key, { host: '127.0.0.1', port: new URL(sandbox.url).port, protocol: 'http', maxNetworkRetries: 0 });
const failureOf = <T>(promise: Promise<T>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Stripe.errors.StripeError,
  );

async function pay(number: string, amount = 10_000, currency = 'usd'): Promise<{ pi: Stripe.PaymentIntent; charge: Stripe.Charge }> {
  const pm = await browser.paymentMethods.create({ type: 'card', card: { number, ...CARD } });
  const pi = await stripe.paymentIntents.create({ amount, currency, payment_method: pm.id, confirm: true });
  expect(pi.status).toBe('succeeded');
  return { pi, charge: await stripe.charges.retrieve(String(pi.latest_charge)) };
}

/** The events the receiver accepted (answered 2xx), verified with the official library. */
const received = () => deliveries.filter((d) => d.answered === 200 && d.path === '/payments/v1/psp/webhooks').map((d) => stripe.webhooks.constructEvent(d.body, d.signature, WEBHOOK_SECRET));

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const event = JSON.parse(body) as { id: string; type: string };
      const answered = failOnce.has(event.type) && !failed.has(event.id) ? 500 : 200;
      if (answered === 500) failed.add(event.id);
      deliveries.push({ path: String(req.url), body, signature: String(req.headers['stripe-signature']), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const config = loadConfig('sandbox', sandboxConfig, {
    STRIPE_SECRET_KEY: SECRET,
    STRIPE_PUBLISHABLE_KEY: PUBLISHABLE,
    STRIPE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/payments/v1/psp/webhooks`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_WEBHOOK_RETRY_DELAYS_MS: '10,20',
  });
  const logger = createLogger({ service: 'sandbox', destination: logs.destination });
  sandbox = await serve(createApp({ config, logger, clock: () => clockMs }), { port: 0, host: '127.0.0.1', logger });
  stripe = clientFor(SECRET);
  browser = clientFor(PUBLISHABLE);
});

afterAll(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('refunds', () => {
  it('refunds part, then the rest, with refund balance transactions and the charge updated', async () => {
    const { pi, charge } = await pay('4242424242424242', 10_000);
    const half = await stripe.refunds.create({ payment_intent: pi.id, amount: 4_000, reason: 'requested_by_customer', metadata: { case: 'R-1' } });
    expect(half).toMatchObject({ object: 'refund', status: 'succeeded', amount: 4_000, currency: 'usd', charge: charge.id, payment_intent: pi.id, reason: 'requested_by_customer', metadata: { case: 'R-1' } });
    expect(violations('Refund', half)).toEqual([]);
    const txn = await stripe.balanceTransactions.retrieve(String(half.balance_transaction));
    expect(txn).toMatchObject({ type: 'refund', reporting_category: 'refund', amount: -4_000, fee: 0, net: -4_000, source: half.id });
    expect(violations('BalanceTransaction', txn)).toEqual([]);
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 4_000, refunded: false });

    const tooMuch = await failureOf(stripe.refunds.create({ charge: charge.id, amount: 6_001 }));
    expect(tooMuch).toMatchObject({ type: 'StripeInvalidRequestError', code: 'amount_too_large', statusCode: 400 });

    const rest = await stripe.refunds.create({ charge: charge.id });
    expect(rest.amount).toBe(6_000);
    const refunded = await stripe.charges.retrieve(charge.id);
    expect(refunded).toMatchObject({ amount_refunded: 10_000, refunded: true });
    expect(violations('Charge', refunded)).toEqual([]);
    const again = await failureOf(stripe.refunds.create({ payment_intent: pi.id }));
    expect(again).toMatchObject({ code: 'charge_already_refunded', statusCode: 400 });

    expect(await stripe.refunds.retrieve(half.id)).toEqual(half);
    const list = await stripe.refunds.list({ payment_intent: pi.id });
    expect(list.data.map((r) => r.id)).toEqual([rest.id, half.id]);
    expect(violations('RefundList', list)).toEqual([]);
    expect((await stripe.refunds.list({ charge: 'ch_other' })).data).toEqual([]);
  });

  it('refuses a refund without a charge or payment_intent, or of an unknown one', async () => {
    expect(await failureOf(stripe.refunds.create({}))).toMatchObject({ statusCode: 400, code: 'parameter_missing' });
    expect(await failureOf(stripe.refunds.create({ charge: 'ch_unknown' }))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('disputes', () => {
  it('opens a dispute at once for 4000000000000259, withdrawing the amount and a 15.00 dispute fee', async () => {
    const { pi, charge } = await pay('4000000000000259', 3_000);
    expect(charge.disputed).toBe(true);
    const list = await stripe.disputes.list({ payment_intent: pi.id });
    expect(violations('DisputeList', list)).toEqual([]);
    const [dispute] = list.data;
    expect(dispute).toMatchObject({ object: 'dispute', status: 'needs_response', reason: 'fraudulent', amount: 3_000, charge: charge.id, payment_intent: pi.id, is_charge_refundable: false });
    expect(dispute?.balance_transactions).toEqual([
      expect.objectContaining({ type: 'adjustment', reporting_category: 'dispute', amount: -3_000, fee: 1_500, net: -4_500, source: dispute?.id }),
    ]);
    expect(violations('Dispute', dispute)).toEqual([]);
    expect(await failureOf(stripe.refunds.create({ charge: charge.id }))).toMatchObject({ code: 'charge_disputed' });
  });

  it('is won with winning_evidence: the amount is reinstated, the fee is kept', async () => {
    const { pi } = await pay('4000000000000259', 3_000);
    const [dispute] = (await stripe.disputes.list({ payment_intent: pi.id })).data;
    const staged = await stripe.disputes.update(dispute!.id, { evidence: { customer_name: 'Layla Haddad' }, submit: false });
    expect(staged).toMatchObject({ status: 'needs_response', evidence: { customer_name: 'Layla Haddad' }, evidence_details: { has_evidence: true, submission_count: 0 } });
    const won = await stripe.disputes.update(dispute!.id, { evidence: { uncategorized_text: 'winning_evidence' } });
    expect(won).toMatchObject({ status: 'won', evidence_details: { submission_count: 1 } });
    expect(won.balance_transactions.map((t) => [t.reporting_category, t.amount, t.fee])).toEqual([
      ['dispute', -3_000, 1_500],
      ['dispute_reversal', 3_000, 0],
    ]);
    expect(violations('Dispute', won)).toEqual([]);
    expect(await stripe.disputes.retrieve(dispute!.id)).toEqual(won);
    expect(await failureOf(stripe.disputes.update(dispute!.id, { evidence: { uncategorized_text: 'more' } }))).toMatchObject({ statusCode: 400 });
  });

  it('is lost with losing_evidence, or when accepted (close); other evidence leaves it under review', async () => {
    const lose = await pay('4000000000002685', 2_000);
    const [d1] = (await stripe.disputes.list({ charge: lose.charge.id })).data;
    expect(d1?.reason).toBe('product_not_received');
    expect(await stripe.disputes.update(d1!.id, { evidence: { uncategorized_text: 'losing_evidence' } })).toMatchObject({ status: 'lost' });

    const accept = await pay('4000000000000259', 2_000);
    const [d2] = (await stripe.disputes.list({ charge: accept.charge.id })).data;
    const closed = await stripe.disputes.close(d2!.id);
    expect(closed.status).toBe('lost');
    expect(closed.balance_transactions).toHaveLength(1);

    const review = await pay('4000000000000259', 2_000);
    const [d3] = (await stripe.disputes.list({ charge: review.charge.id })).data;
    expect(await stripe.disputes.update(d3!.id, { evidence: { product_description: 'A passport renewal fee' } })).toMatchObject({ status: 'under_review' });
  });

  it('opens an inquiry for 4000000000001976: nothing withdrawn, closed as warning_closed', async () => {
    const { charge } = await pay('4000000000001976', 2_000);
    const [inquiry] = (await stripe.disputes.list({ charge: charge.id })).data;
    expect(inquiry).toMatchObject({ status: 'warning_needs_response', balance_transactions: [], is_charge_refundable: true, payment_method_details: { card: { case_type: 'inquiry' } } });
    expect(violations('Dispute', inquiry)).toEqual([]);
    expect((await stripe.disputes.close(inquiry!.id)).status).toBe('warning_closed');
  });
});

describe('events and signed webhooks', () => {
  it('records an event for each change, lists them by type and created, and pages', async () => {
    clockMs += 3_600_000;
    const since = Math.floor(clockMs / 1000);
    const { pi, charge } = await pay('4242424242424242', 5_000);
    await stripe.refunds.create({ payment_intent: pi.id, amount: 1_000 });
    const events = await stripe.events.list({ created: { gte: since }, limit: 100 });
    expect(events.data.map((e) => e.type).reverse()).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'refund.created', 'charge.refunded']);
    expect(violations('EventList', events)).toEqual([]);
    const refundedEvent = events.data[0]!;
    expect(refundedEvent).toMatchObject({ object: 'event', livemode: false, data: { object: { id: charge.id, amount_refunded: 1_000 }, previous_attributes: { amount_refunded: 0 } } });
    expect(await stripe.events.retrieve(refundedEvent.id)).toMatchObject({ id: refundedEvent.id, type: 'charge.refunded' });
    const succeeded = await stripe.events.list({ type: 'payment_intent.succeeded', created: { gte: since } });
    expect(succeeded.data.map((e) => (e.data.object as Stripe.PaymentIntent).id)).toEqual([pi.id]);
    const wildcard = await stripe.events.list({ type: 'charge.*', created: { gte: since } });
    expect(wildcard.data.map((e) => e.type)).toEqual(['charge.refunded', 'charge.succeeded']);
    const paged: string[] = [];
    for await (const event of stripe.events.list({ limit: 2, created: { gte: since } })) paged.push(event.id);
    expect(paged).toEqual(events.data.map((e) => e.id));
    expect(await failureOf(stripe.events.retrieve('evt_unknown'))).toMatchObject({ statusCode: 404 });
  });

  it('posts every event to the endpoint, signed so that stripe.webhooks.constructEvent accepts it', async () => {
    const { pi } = await pay('4000000000000259', 2_500);
    await waitFor(() => received().some((e) => e.type === 'charge.dispute.created' && (e.data.object as Stripe.Dispute).payment_intent === pi.id), {
      what: 'the charge.dispute.created webhook',
    });
    const types = received()
      .filter((e) => (e.data.object as { payment_intent?: string; id: string }).payment_intent === pi.id || (e.data.object as { id: string }).id === pi.id)
      .map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded', 'charge.dispute.created', 'charge.dispute.funds_withdrawn']));
    const delivery = deliveries.filter((d) => d.path === '/payments/v1/psp/webhooks').at(-1)!;
    expect(delivery.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(() => stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_some_other_secret_0000')).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(delivery.body.replace('"livemode": false', '"livemode": true'), delivery.signature, WEBHOOK_SECRET)).toThrow();
    const event = stripe.webhooks.constructEvent(delivery.body, delivery.signature, WEBHOOK_SECRET);
    expect(violations('Event', event)).toEqual([]);
  });

  it('retries an event its endpoint did not answer 2xx to, and counts pending_webhooks', async () => {
    failOnce.add('refund.created');
    const { pi } = await pay('4242424242424242', 2_000);
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    const isOurs = (d: Delivery) => (JSON.parse(d.body) as Stripe.Event).type === 'refund.created' && d.body.includes(refund.id);
    await waitFor(() => deliveries.filter(isOurs).length === 2, { what: 'the retried refund.created webhook' });
    expect(deliveries.filter(isOurs).map((d) => d.answered)).toEqual([500, 200]);
    const [event] = (await stripe.events.list({ type: 'refund.created', limit: 1 })).data;
    expect(event?.pending_webhooks).toBe(0);
  });

  it('also posts to endpoints registered with POST /v1/webhook_endpoints, for the events they enabled, with their own secret', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/registered`;
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ['refund.created'] });
    expect(endpoint).toMatchObject({ object: 'webhook_endpoint', url, enabled_events: ['refund.created'], status: 'enabled' });
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(violations('WebhookEndpoint', endpoint)).toEqual([]);
    expect((await stripe.webhookEndpoints.retrieve(endpoint.id)).secret).toBeUndefined();
    const { pi } = await pay('4242424242424242', 2_000);
    const refund = await stripe.refunds.create({ payment_intent: pi.id });
    await waitFor(() => deliveries.some((d) => d.path === '/registered' && d.body.includes(refund.id)), { what: 'the registered endpoint\'s webhook' });
    const mine = deliveries.filter((d) => d.path === '/registered').map((d) => stripe.webhooks.constructEvent(d.body, d.signature, endpoint.secret!));
    expect(mine.map((e) => e.type)).toEqual(['refund.created']);
    expect(await stripe.webhookEndpoints.del(endpoint.id)).toMatchObject({ id: endpoint.id, deleted: true });
    const list = await stripe.webhookEndpoints.list();
    expect(list.data).toEqual([]);
    expect(violations('WebhookEndpointList', list)).toEqual([]);
  });
});
