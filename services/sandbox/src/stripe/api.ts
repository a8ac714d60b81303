import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@tamkeen/http-kit';
import type { ErrorRequestHandler, IRouter, Request, Response } from 'express';
import { CHALLENGE_PATH, challengePage } from './challenge-page.js';
import type { ChargeContext } from './charges.js';
import { authentication, invalidRequest, publishableKeyRefused, resourceMissing, StripeApiError, unrecognizedUrl } from './errors.js';
import { IdempotencyStore, type SavedResponse } from './idempotency.js';
import { listOf } from './lists.js';
import { canonical, decodeParams, integerParam, listParam, onlyKnown, rangeParam, inRange, stringParam, type Params } from './params.js';
import { cancelPaymentIntent, confirmPaymentIntent, createPaymentIntent, paymentIntentOf, updatePaymentIntent, type IntentContext } from './payment-intents.js';
import { createPaymentMethod, paymentMethodOf } from './payment-methods.js';
import { closeDispute, disputeOf, updateDispute } from './disputes.js';
import { asOfParam, balanceObject, nextPayoutAt, payoutOf, payoutTimeOfDay, runPayouts } from './payouts.js';
import { createRefund, refundOf, updateRefund } from './refunds.js';
import { balanceTransactionObject, chargeObject, disputeObject, eventObject, expand, paymentIntentObject, paymentMethodObject, payoutObject, refundObject, type StripeObject } from './resources.js';
import { StripeState, stripeId } from './state.js';
import { createWebhookEndpoint, sendWebhooks, webhookEndpointObject, webhookEndpointOf, type WebhookEndpoint } from './webhooks.js';

export interface StripeApiOptions {
  /** The account's secret key (`sk_test_…`): every endpoint. */
  secretKey: string;
  /** Its publishable key (`pk_test_…`): creating PaymentMethods only, as Stripe.js does in the browser. */
  publishableKey: string;
  /** Where browsers reach the sandbox (the 3-D Secure page); by default the origin the API was called at. */
  publicUrl?: string;
  /** Days from a charge to its funds' `available_on`. */
  availableAfterDays: number;
  /** When the daily automatic payouts run, `HH:MM` in UTC (on the sandbox's clock). */
  payoutTime?: string;
  logger: Logger;
  state?: StripeState;
  /** Milliseconds since the epoch; tests move time. */
  clock?: () => number;
  /** Where events are posted (Stripe's webhooks), and the retry pauses. */
  webhooks?: { endpoints: WebhookEndpoint[]; retryDelaysMs: number[]; timeoutMs?: number };
}

type Method = 'get' | 'post' | 'delete';

interface Call {
  req: Request;
  params: Params;
  id: string;
  now: number;
  expandPaths: string[] | undefined;
}

type Handler = (call: Call) => StripeObject;

interface ApiKey {
  value: string;
  kind: 'secret' | 'publishable';
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function masked(key: string): string {
  return key.length > 12 ? `${key.slice(0, key.indexOf('_', 3) + 1 || 3)}${'*'.repeat(Math.min(key.length - 12, 24))}${key.slice(-4)}` : '****';
}

const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

function apiKeyOf(req: Request, options: StripeApiOptions): ApiKey {
  const header = req.get('authorization') ?? '';
  let value: string | undefined;
  if (/^bearer\s/i.test(header)) value = header.slice(7).trim();
  else if (/^basic\s/i.test(header)) value = Buffer.from(header.slice(6).trim(), 'base64').toString().split(':')[0];
  if (!value) throw authentication(NO_KEY);
  if (same(value, options.secretKey)) return { value, kind: 'secret' };
  if (same(value, options.publishableKey)) return { value, kind: 'publishable' };
  throw authentication(`Invalid API Key provided: ${masked(value)}`);
}

/**
 * The Stripe-compatible PSP (a subset of Stripe's v1 API): PaymentMethods, PaymentIntents,
 * Charges (read), BalanceTransactions, Refunds, Disputes, Payouts (automatic, daily), the Balance,
 * Events and WebhookEndpoints, with Stripe's form encoding, keys, errors, idempotency and signed
 * webhooks, so that the official `stripe` library works against it unchanged.
 */
export function stripeApi(router: IRouter, options: StripeApiOptions): StripeState {
  const state = options.state ?? new StripeState();
  const clock = options.clock ?? Date.now;
  // Idempotency keys live 24 h of real time: the test helper's moves of the sandbox's clock leave them be.
  const idempotency = new IdempotencyStore(clock);
  /** How far the test helper has moved the sandbox's clock ahead (it never goes back). */
  let advancedMs = 0;
  const nowSeconds = () => Math.floor((clock() + advancedMs) / 1000);
  const payoutTime = payoutTimeOfDay(options.payoutTime ?? '06:00');
  let nextPayout = nextPayoutAt(nowSeconds(), payoutTime);
  /** Runs the daily payouts once the day's payout time has passed (checked before every call and every minute). */
  const payoutsDue = () => {
    const now = nowSeconds();
    if (now < nextPayout) return;
    runPayouts(state, now);
    nextPayout = nextPayoutAt(now, payoutTime);
  };
  setInterval(payoutsDue, 60_000).unref();
  // Signatures carry the real time: receivers check it against their own clock (5 minutes' tolerance).
  sendWebhooks(state, {
    endpoints: options.webhooks?.endpoints ?? [],
    retryDelaysMs: options.webhooks?.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000],
    timeoutMs: options.webhooks?.timeoutMs ?? 10_000,
    logger: options.logger,
    nowSeconds: () => Math.floor(Date.now() / 1000),
  });
  const chargeContext = (): ChargeContext => ({ now: nowSeconds(), availableAfterDays: options.availableAfterDays });
  const intentContext = (req: Request): IntentContext => {
    const base = options.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return { ...chargeContext(), challengeUrl: (challengeId) => `${base}${CHALLENGE_PATH}/${challengeId}` };
  };
  const respond = (call: Call, object: StripeObject) => expand(object, call.expandPaths, state, call.now);

  function send(res: Response, response: SavedResponse, replayed: boolean): void {
    if (replayed) {
      res.setHeader('Idempotent-Replayed', 'true');
      res.setHeader('Original-Request', response.requestId);
    }
    res.status(response.status).json(response.body);
  }

  function endpoint(method: Method, path: string, handler: Handler, { publishable = false } = {}): void {
    router[method](`/v1${path}`, (req, res) => {
      const requestId = stripeId('req', 14);
      res.setHeader('Request-Id', requestId);
      res.setHeader('Cache-Control', 'no-cache, no-store');
      let held: { apiKey: string; key: string } | undefined;
      let response: SavedResponse;
      try {
        payoutsDue();
        const apiKey = apiKeyOf(req, options);
        if (apiKey.kind === 'publishable' && !publishable) throw publishableKeyRefused();
        const params = decodeParams(method === 'post' ? req.body : req.query);
        const key = method === 'post' ? req.get('idempotency-key') : undefined;
        if (key !== undefined) {
          res.setHeader('Idempotency-Key', key);
          const saved = idempotency.begin(apiKey.value, key, req.path, canonical(params));
          if (saved) return send(res, saved, true);
          held = { apiKey: apiKey.value, key };
        }
        const expandPaths = listParam(params, 'expand');
        const body = handler({ req, params, id: String((req.params as Record<string, string | undefined>).id ?? ''), now: nowSeconds(), expandPaths });
        response = { status: 200, body, requestId };
      } catch (error) {
        if (error instanceof StripeApiError) {
          response = { status: error.status, body: { error: error.body }, requestId };
        } else {
          // Logged by what it is (the logger keeps type and message only); never with the request's body.
          options.logger.error({ err: error, requestId }, 'sandbox PSP failed');
          response = { status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred in the sandbox PSP.' } }, requestId };
        }
      }
      if (held) idempotency.finish(held.apiKey, held.key, response);
      send(res, response, false);
    });
  }

  // PaymentMethods. Browsers create them from the payment page's own origin with the publishable
  // key (as Stripe.js calls api.stripe.com): any origin may, without credentials (Stripe answers the same).
  router.options('/v1/payment_methods', (_req, res) => {
    res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Authorization, Content-Type, Stripe-Version', 'Access-Control-Max-Age': '600' }).status(204).end();
  });
  router.post('/v1/payment_methods', (_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  endpoint('post', '/payment_methods', (call) => respond(call, paymentMethodObject(createPaymentMethod(state, call.params, { now: call.now, fingerprintSecret: options.secretKey }))), {
    publishable: true,
  });
  endpoint('get', '/payment_methods/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    return respond(call, paymentMethodObject(paymentMethodOf(state, call.id)));
  });

  // PaymentIntents
  endpoint('post', '/payment_intents', (call) => respond(call, paymentIntentObject(createPaymentIntent(state, call.params, intentContext(call.req)), state)));
  endpoint('get', '/payment_intents', (call) =>
    respond(
      call,
      listOf(state.paymentIntents.values(), call.params, '/v1/payment_intents', (pi) => paymentIntentObject(pi, state)),
    ),
  );
  endpoint('get', '/payment_intents/:id', (call) => {
    onlyKnown(call.params, ['expand', 'client_secret']);
    return respond(call, paymentIntentObject(paymentIntentOf(state, call.id), state));
  });
  endpoint('post', '/payment_intents/:id', (call) => respond(call, paymentIntentObject(updatePaymentIntent(state, paymentIntentOf(state, call.id), call.params), state)));
  endpoint('post', '/payment_intents/:id/confirm', (call) =>
    respond(call, paymentIntentObject(confirmPaymentIntent(state, paymentIntentOf(state, call.id), call.params, intentContext(call.req)), state)),
  );
  endpoint('post', '/payment_intents/:id/cancel', (call) =>
    respond(call, paymentIntentObject(cancelPaymentIntent(state, paymentIntentOf(state, call.id), call.params, call.now), state)),
  );

  // Charges (read): made by confirming PaymentIntents.
  endpoint('get', '/charges/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    const charge = state.charges.get(call.id);
    if (!charge) throw resourceMissing('charge', call.id, 'id');
    return respond(call, chargeObject(charge));
  });

  // BalanceTransactions
  endpoint('get', '/balance_transactions', (call) => {
    const type = stringParam(call.params, 'type');
    const source = stringParam(call.params, 'source');
    const currency = stringParam(call.params, 'currency')?.toLowerCase();
    // The transactions an automatic payout paid out, and the payout's own.
    const payout = stringParam(call.params, 'payout');
    if (payout !== undefined) payoutOf(state, payout);
    return respond(
      call,
      listOf(
        state.balanceTransactions.values(),
        call.params,
        '/v1/balance_transactions',
        (txn) => balanceTransactionObject(txn, call.now),
        ['type', 'source', 'currency', 'payout'],
        (txn) =>
          (type === undefined || txn.type === type) &&
          (source === undefined || txn.sourceId === source) &&
          (currency === undefined || txn.currency === currency) &&
          (payout === undefined || txn.payoutId === payout),
      ),
    );
  });
  endpoint('get', '/balance_transactions/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    const txn = state.balanceTransactions.get(call.id);
    if (!txn) throw resourceMissing('balance transaction', call.id, 'id');
    return respond(call, balanceTransactionObject(txn, call.now));
  });

  // The balance, and the automatic payouts of what is available (payouts.ts).
  endpoint('get', '/balance', (call) => {
    onlyKnown(call.params, ['expand']);
    return balanceObject(state, call.now);
  });
  endpoint('get', '/payouts', (call) => {
    const arrival = rangeParam(call.params, 'arrival_date');
    const destination = stringParam(call.params, 'destination');
    const status = stringParam(call.params, 'status');
    return respond(
      call,
      listOf(state.payouts.values(), call.params, '/v1/payouts', payoutObject, ['arrival_date', 'destination', 'status'], (p) =>
        inRange(p.arrivalDate, arrival) && (destination === undefined || p.destination === destination) && (status === undefined || p.status === status),
      ),
    );
  });
  endpoint('get', '/payouts/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    return respond(call, payoutObject(payoutOf(state, call.id)));
  });
  // Test only (the sandbox's own, in the manner of Stripe's /v1/test_helpers): moves the sandbox's
  // clock forward to `as_of` (never back) and runs the daily payouts as of then, at once.
  endpoint('post', '/test_helpers/payouts/run', (call) => {
    onlyKnown(call.params, ['as_of', 'expand']);
    const asOf = asOfParam(integerParam(call.params, 'as_of'), call.now);
    advancedMs = Math.max(advancedMs, asOf * 1000 - clock());
    const made = runPayouts(state, asOf);
    nextPayout = nextPayoutAt(asOf, payoutTime);
    return respond(call, { object: 'list', data: made.map(payoutObject), has_more: false, url: '/v1/test_helpers/payouts/run' });
  });

  // Refunds
  endpoint('post', '/refunds', (call) => respond(call, refundObject(createRefund(state, call.params, call.now))));
  endpoint('get', '/refunds', (call) => {
    const charge = stringParam(call.params, 'charge');
    const intent = stringParam(call.params, 'payment_intent');
    return respond(
      call,
      listOf(state.refunds.values(), call.params, '/v1/refunds', refundObject, ['charge', 'payment_intent'], (r) => (charge === undefined || r.chargeId === charge) && (intent === undefined || r.paymentIntentId === intent)),
    );
  });
  endpoint('get', '/refunds/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    return respond(call, refundObject(refundOf(state, call.id)));
  });
  endpoint('post', '/refunds/:id', (call) => respond(call, refundObject(updateRefund(refundOf(state, call.id), call.params))));

  // Disputes: opened by the issuer (the dispute test cards), answered with evidence or accepted.
  endpoint('get', '/disputes', (call) => {
    const charge = stringParam(call.params, 'charge');
    const intent = stringParam(call.params, 'payment_intent');
    return respond(
      call,
      listOf(
        state.disputes.values(),
        call.params,
        '/v1/disputes',
        (d) => disputeObject(d, state, call.now),
        ['charge', 'payment_intent'],
        (d) => (charge === undefined || d.chargeId === charge) && (intent === undefined || d.paymentIntentId === intent),
      ),
    );
  });
  endpoint('get', '/disputes/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    return respond(call, disputeObject(disputeOf(state, call.id), state, call.now));
  });
  endpoint('post', '/disputes/:id', (call) => respond(call, disputeObject(updateDispute(state, disputeOf(state, call.id), call.params, call.now), state, call.now)));
  endpoint('post', '/disputes/:id/close', (call) => respond(call, disputeObject(closeDispute(state, disputeOf(state, call.id), call.params, call.now), state, call.now)));

  // Events: every change above, 30 days as Stripe keeps them (here: while the sandbox runs).
  endpoint('get', '/events', (call) => {
    const type = stringParam(call.params, 'type');
    const types = listParam(call.params, 'types');
    const matches = (eventType: string, pattern: string) => (pattern.endsWith('.*') ? eventType.startsWith(pattern.slice(0, -1)) : eventType === pattern);
    if (type !== undefined && types !== undefined) throw invalidRequest('You may only specify one of these parameters: type, types.', { param: 'types', code: 'parameters_exclusive' });
    return respond(
      call,
      listOf(state.events.values(), call.params, '/v1/events', eventObject, ['type', 'types', 'delivery_success'], (e) =>
        (type === undefined || matches(e.type, type)) && (types === undefined || types.some((t) => matches(e.type, t))),
      ),
    );
  });
  endpoint('get', '/events/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    const event = state.events.get(call.id);
    if (!event) throw resourceMissing('event', call.id, 'id');
    return respond(call, eventObject(event));
  });

  // Webhook endpoints registered through the API (besides STRIPE_WEBHOOK_URL).
  endpoint('post', '/webhook_endpoints', (call) => webhookEndpointObject(createWebhookEndpoint(state, call.params, call.now), true));
  endpoint('get', '/webhook_endpoints', (call) =>
    listOf(state.webhookEndpoints.values(), call.params, '/v1/webhook_endpoints', (e) => webhookEndpointObject(e)),
  );
  endpoint('get', '/webhook_endpoints/:id', (call) => {
    onlyKnown(call.params, ['expand']);
    return webhookEndpointObject(webhookEndpointOf(state, call.id));
  });
  endpoint('delete', '/webhook_endpoints/:id', (call) => {
    onlyKnown(call.params, []);
    const found = webhookEndpointOf(state, call.id);
    state.webhookEndpoints.delete(found.id);
    return { id: found.id, object: 'webhook_endpoint', deleted: true };
  });

  // Anything else under /v1 is answered as Stripe answers an unknown URL, body errors too.
  router.all('/v1/{*rest}', (req, res) => {
    res.status(404).json({ error: unrecognizedUrl(req.method, req.path).body });
  });
  const bodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string }, req, res, next) => {
    if (res.headersSent || !req.path.startsWith('/v1/')) return next(error);
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
    const message = error.type === 'entity.too.large' ? 'The request body is too large.' : 'The request body could not be read as form-encoded parameters.';
    res.status(status).json({ error: invalidRequest(message).body });
  };
  router.use(bodyErrors);

  challengePage(router, state, chargeContext);
  return state;
}
