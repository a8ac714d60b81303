import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { createLogger, serve, type RunningServer } from '@tamkeen/http-kit';
import { logCapture, schemaViolations, waitFor } from '@tamkeen/testing';
import Stripe from 'stripe';
import { createApp } from '../app.js';
import { sandboxConfig } from '../config.js';

const SECRET = 'sk_test_sandbox_payout_tests_0123';
const PUBLISHABLE = 'pk_test_sandbox_payout_tests_0123';
const WEBHOOK_SECRET = 'whsec_sandbox_payout_tests_0123';
const CARD = { exp_month: 12, exp_year: 2034, cvc: '314' };
const SPEC = 'psp/stripe.yaml';
const DAY = 86_400;

const logs = logCapture();
/** The test's clock (a Monday, 10:00 UTC); the test helper moves the sandbox's own ahead of it. */
let clockMs = Date.parse('2026-03-02T10:00:00Z');
let sandbox: RunningServer;
let receiver: Server;
let stripe: Stripe;
let browser: Stripe;
const deliveries: Array<{ body: string; signature: string }> = [];

const violations = (schema: string, value: unknown) => schemaViolations(SPEC, `#/components/schemas/${schema}`, value);
const clientFor = (key: string) => new Stripe(key, { host: '127.0.0.1', port: new URL(sandbox.url).port, protocol: 'http', maxNetworkRetries: 0 });
const at = (iso: string) => Date.parse(iso) / 1000;

async function pay(number: string, amount: number, currency: string): Promise<{ pi: Stripe.PaymentIntent; txn: Stripe.BalanceTransaction }> {
  const pm = await browser.paymentMethods.create({ type: 'card', card: { number, ...CARD } });
  const pi = await stripe.paymentIntents.create({ amount, currency, payment_method: pm.id, confirm: true, expand: ['latest_charge.balance_transaction'] });
  expect(pi.status).toBe('succeeded');
  return { pi, txn: (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction };
}

/** The sandbox's test helper: its clock to `asOf` (Unix seconds), and the daily payouts run then. */
async function runPayouts(asOf?: number): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sandbox.url}/v1/test_helpers/payouts/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: asOf === undefined ? '' : `as_of=${asOf}`,
  });
  return { status: response.status, body: await response.json() };
}

/** Every balance transaction paid out in `payout`, through the official library's auto-paging. */
async function paidOutIn(payout: string): Promise<Stripe.BalanceTransaction[]> {
  const all: Stripe.BalanceTransaction[] = [];
  for await (const txn of stripe.balanceTransactions.list({ payout, limit: 3 })) all.push(txn);
  return all;
}

const received = () => deliveries.map((d) => stripe.webhooks.constructEvent(d.body, d.signature, WEBHOOK_SECRET));

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString(), signature: String(req.headers['stripe-signature']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const config = loadConfig('sandbox', sandboxConfig, {
    STRIPE_SECRET_KEY: SECRET,
    STRIPE_PUBLISHABLE_KEY: PUBLISHABLE,
    STRIPE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_PAYOUT_TIME: '06:00',
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

describe('balance transactions and the balance', () => {
  it('keeps a charge pending until 00:00 UTC two days on; refunds and dispute withdrawals are available at once', async () => {
    const { pi, txn } = await pay('4242424242424242', 10_000, 'ils');
    expect(txn).toMatchObject({ status: 'pending', available_on: at('2026-03-04T00:00:00Z'), reporting_category: 'charge', fee: 400, net: 9_600 });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 1_000, expand: ['balance_transaction'] });
    expect(refund.balance_transaction).toMatchObject({ type: 'refund', status: 'available', available_on: at('2026-03-02T10:00:00Z'), reporting_category: 'refund', net: -1_000 });
    const balance = await stripe.balance.retrieve();
    expect(violations('Balance', balance)).toEqual([]);
    expect(balance.available.find((b) => b.currency === 'ils')).toMatchObject({ amount: -1_000 });
    expect(balance.pending.find((b) => b.currency === 'ils')).toMatchObject({ amount: 9_600 });
  });

  it('pays out nothing while the available balance is not positive: the refund waits for the charge', async () => {
    const run = await runPayouts();
    expect(run).toMatchObject({ status: 200, body: { object: 'list', data: [], has_more: false } });
    expect((await stripe.payouts.list()).data).toEqual([]);
  });
});

describe('the daily payout', () => {
  let firstPayouts: Stripe.Payout[];

  it('pays out, per currency, exactly what became available — charges net of fees, refunds, a dispute and its fee — in one payout with its own balance transaction', async () => {
    const jod = await pay('4242424242424242', 2_500, 'jod');
    const disputed = await pay('4000000000000259', 5_000, 'ils');
    const dispute = (await stripe.disputes.list({ payment_intent: disputed.pi.id })).data[0]!;
    const withdrawal = dispute.balance_transactions[0]!;
    expect(withdrawal).toMatchObject({ amount: -5_000, fee: 1_500, net: -6_500, status: 'available' });
    // Still Monday: none of the charges is available, so ILS (−1,000 − 6,500) and JOD (nothing) pay nothing.
    expect((await runPayouts()).body.data).toEqual([]);

    // Wednesday 06:00: Monday's charges became available at 00:00.
    const run = await runPayouts(at('2026-03-04T06:00:00Z'));
    expect(run.status).toBe(200);
    expect(violations('PayoutList', run.body)).toEqual([]);
    firstPayouts = run.body.data as Stripe.Payout[];
    expect(firstPayouts.map((p) => p.currency)).toEqual(['ils', 'jod']);
    const ils = firstPayouts[0]!;
    const jodPayout = firstPayouts[1]!;
    // ILS: 9,600 (10,000 less 400) − 1,000 refunded + 4,745 (5,000 less 255) − 6,500 (the chargeback and its fee).
    expect(ils).toMatchObject({ object: 'payout', amount: 9_600 - 1_000 + (5_000 - 255) - 6_500, currency: 'ils', status: 'paid', automatic: true, arrival_date: at('2026-03-04T00:00:00Z'), created: at('2026-03-04T06:00:00Z'), method: 'standard', type: 'bank_account', reconciliation_status: 'completed' });
    expect(ils.destination).toMatch(/^ba_/);
    expect(ils.statement_descriptor).toMatch(/^PSP SBX[0-9A-Z]{12}$/);
    expect(ils.trace_id).toEqual({ status: 'supported', value: ils.statement_descriptor!.slice(4) });
    // JOD: 2.500 less 2.9 % (0.0725) + 0.210, rounded to 10 fils: 0.280.
    expect(jod.txn.fee).toBe(280);
    expect(jodPayout).toMatchObject({ amount: 2_220, currency: 'jod' });
    expect(jodPayout.destination).not.toBe(ils.destination);

    const paidOut = await paidOutIn(ils.id);
    expect(paidOut.map((t) => t.type).sort()).toEqual(['adjustment', 'charge', 'charge', 'payout', 'refund']);
    expect(paidOut.reduce((sum, t) => sum + t.net, 0)).toBe(0);
    expect(paidOut.every((t) => t.status === 'available')).toBe(true);
    const own = paidOut.find((t) => t.type === 'payout')!;
    expect(own).toMatchObject({ id: ils.balance_transaction, amount: -ils.amount, fee: 0, net: -ils.amount, source: ils.id, reporting_category: 'payout', currency: 'ils' });
    expect(violations('BalanceTransaction', own)).toEqual([]);
    expect((await stripe.balanceTransactions.list({ type: 'payout' })).data.map((t) => t.id).sort()).toEqual([ils.balance_transaction, jodPayout.balance_transaction].sort());

    const balance = await stripe.balance.retrieve();
    expect(balance.available.map((b) => [b.currency, b.amount])).toEqual([['ils', 0], ['jod', 0], ['usd', 0]]);
    expect(balance.pending.map((b) => [b.currency, b.amount])).toEqual([['ils', 0], ['jod', 0], ['usd', 0]]);
  });

  it('pays nothing out twice: another run finds nothing; the next day pays out only what became available since', async () => {
    expect((await runPayouts()).body.data).toEqual([]);
    const { txn } = await pay('5555555555554444', 2_000, 'usd');
    expect(txn.available_on).toBe(at('2026-03-06T00:00:00Z'));
    expect((await runPayouts(at('2026-03-05T06:00:00Z'))).body.data).toEqual([]);
    const next = (await runPayouts(at('2026-03-06T06:00:00Z'))).body.data as Stripe.Payout[];
    expect(next.map((p) => [p.currency, p.amount])).toEqual([['usd', 2_000 - 88]]);
    expect((await paidOutIn(next[0]!.id)).map((t) => t.id).sort()).toEqual([txn.id, next[0]!.balance_transaction].sort());
    expect(await stripe.balanceTransactions.retrieve(txn.id)).toMatchObject({ status: 'available' });
  });

  it('sends payout.created (in transit) and payout.paid for each payout, signed as the other events', async () => {
    const ids = firstPayouts.map((p) => p.id);
    await waitFor(() => ids.every((id) => received().filter((e) => (e.data.object as { id: string }).id === id).length === 2), { what: 'the payouts\' webhooks' });
    for (const id of ids) {
      const events = received().filter((e) => (e.data.object as { id: string }).id === id);
      expect(events.map((e) => [e.type, (e.data.object as Stripe.Payout).status])).toEqual(
        expect.arrayContaining([
          ['payout.created', 'in_transit'],
          ['payout.paid', 'paid'],
        ]),
      );
      for (const event of events) expect(violations('Event', event)).toEqual([]);
      expect((events.find((e) => e.type === 'payout.created')!.data.object as Stripe.Payout).trace_id).toEqual({ status: 'pending', value: null });
    }
    const listed = await stripe.events.list({ type: 'payout.*' });
    expect(listed.data.filter((e) => e.type === 'payout.paid')).toHaveLength(3);
  });

  it('refuses to move the clock back, and an unknown payout', async () => {
    const back = await runPayouts(at('2026-03-03T00:00:00Z'));
    expect(back).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', param: 'as_of' } } });
    await expect(stripe.payouts.retrieve('po_unknown')).rejects.toMatchObject({ statusCode: 404 });
    await expect(stripe.balanceTransactions.list({ payout: 'po_unknown' })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('automatic payouts and the official library', () => {
  it('runs by itself once the day\'s payout time has passed on the sandbox\'s clock', async () => {
    // The sandbox's clock is 2026-03-06 06:00 (the helper moved it); a charge now is available on the 8th.
    await pay('4242424242424242', 20_000, 'ils');
    expect((await stripe.payouts.list({ limit: 100 })).data).toHaveLength(3);
    // The test's own clock moves three days on: the next call finds the 9th's 06:00 passed (as a
    // sandbox left running would at 06:00), and the payout is made before it is answered.
    clockMs += 3 * DAY * 1000;
    const listed = await stripe.payouts.list({ limit: 100 });
    expect(listed.data).toHaveLength(4);
    expect(listed.data[0]).toMatchObject({ currency: 'ils', amount: 20_000 - (580 + 110), status: 'paid', automatic: true });
    expect((await stripe.payouts.list()).data).toHaveLength(4);
  });

  it('lists payouts newest first, with Stripe\'s paging and filters', async () => {
    const all = (await stripe.payouts.list({ limit: 100 })).data;
    expect(violations('PayoutList', await stripe.payouts.list())).toEqual([]);
    const paged: string[] = [];
    for await (const payout of stripe.payouts.list({ limit: 1 })) paged.push(payout.id);
    expect(paged).toEqual(all.map((p) => p.id));
    const first = await stripe.payouts.list({ limit: 2 });
    expect(first).toMatchObject({ has_more: true });
    const second = await stripe.payouts.list({ limit: 2, starting_after: first.data[1]!.id });
    expect([...first.data, ...second.data].map((p) => p.id)).toEqual(all.map((p) => p.id));
    const back = await stripe.payouts.list({ limit: 2, ending_before: second.data[0]!.id });
    expect(back.data.map((p) => p.id)).toEqual(first.data.map((p) => p.id));
    expect((await stripe.payouts.list({ created: { gte: at('2026-03-06T00:00:00Z') } })).data.map((p) => p.id)).toEqual(all.slice(0, 2).map((p) => p.id));
    expect((await stripe.payouts.list({ arrival_date: { lt: at('2026-03-05T00:00:00Z') } })).data.map((p) => p.currency)).toEqual(['jod', 'ils']);
    expect((await stripe.payouts.list({ status: 'paid', destination: all[0]!.destination as string })).data.every((p) => p.currency === 'ils')).toBe(true);
    expect((await stripe.payouts.list({ status: 'failed' })).data).toEqual([]);

    const retrieved = await stripe.payouts.retrieve(all[0]!.id, { expand: ['balance_transaction', 'destination'] });
    expect(retrieved.balance_transaction).toMatchObject({ object: 'balance_transaction', type: 'payout', amount: -all[0]!.amount });
    expect(retrieved.destination).toMatchObject({ object: 'bank_account', currency: 'ils', status: 'verified' });
    expect(violations('Payout', retrieved)).toEqual([]);
  });
});
