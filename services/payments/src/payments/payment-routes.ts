import { callerOf, Conflict, idempotencyKeyOf, jsonBody, NotFound, pageOf, requestHash, requireScope, resource, UnprocessableContent, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import type { Payment, PaymentRepository } from './payment-repository.js';
import { parseNewPayment, paymentListQuery } from './payment-request.js';
import { paymentEventView, paymentView, type PaymentRefunds } from './payment-view.js';
import { expiredIfDue } from './payment-expiry.js';

const BASE = '/payments/v1/payments';

export interface PaymentRoutesDeps {
  payments: PaymentRepository;
  verify: AccessTokenVerifier;
  publicUrl: string;
  expiryMinutes: number;
  bodyLimit: string;
  now?: () => Date;
  /** The payments' refund figures (refunds/refund-repository.ts `totals`), for their `refund_summary`. */
  refundTotals?: (paymentIds: readonly string[]) => Promise<Map<string, PaymentRefunds>>;
}

/**
 * The ministries' payments API (openapi/payments.yaml): create a payment (with an Idempotency-Key),
 * read it, list and filter them, read a payment's history, cancel one the citizen has not
 * submitted. A ministry sees only its own payments; another's are not found.
 */
export function paymentRoutes(router: IRouter, { payments, verify, publicUrl, expiryMinutes, bodyLimit, now = () => new Date(), refundTotals }: PaymentRoutesDeps): void {
  const write = requireScope(verify, 'payments:write');
  const read = requireScope(verify, 'payments:read', 'payments:write');
  const json = jsonBody(bodyLimit);
  const NONE: PaymentRefunds = { succeeded: 0, submitted: 0 };
  /** The payments as the API shows them, with their refund summaries when refunds are served. */
  async function views(list: Payment[]) {
    const totals = refundTotals ? await refundTotals(list.map((p) => p.id)) : undefined;
    return list.map((p) => paymentView(p, publicUrl, totals ? (totals.get(p.id) ?? NONE) : undefined));
  }
  const view = async (p: Payment) => (await views([p]))[0]!;

  /** The organisation's payment, expired first if its time is past (so that no reader sees it payable). */
  async function paymentOf(organisationId: string, id: string): Promise<Payment> {
    const found = z.uuid().safeParse(id).success ? await payments.find(organisationId, id) : undefined;
    if (!found) throw new NotFound(`Your organisation has no payment ${id}.`);
    return expiredIfDue(payments, found, now());
  }

  resource(router, BASE, {
    post: [
      write,
      json,
      async (req, res) => {
        const caller = callerOf(res);
        const key = idempotencyKeyOf(req, { required: true });
        const input = parseNewPayment(req.body);
        const created = await payments.create({
          organisationId: caller.organisationId,
          clientId: caller.clientId,
          amount: input.amount,
          currency: input.currency,
          reference: input.reference,
          description: input.description,
          returnUrl: input.return_url,
          email: input.email ?? null,
          phoneNumber: input.phoneNumber,
          metadata: input.metadata,
          expiresAt: new Date(now().getTime() + expiryMinutes * 60_000),
          idempotencyKey: key,
          requestHash: requestHash(req.path, req.body),
        });
        if (created.outcome === 'key reused') {
          throw new UnprocessableContent('This Idempotency-Key was used with a different request; use a new key for a new payment.', {
            code: 'idempotency_key_reused',
            extensions: { payment_id: created.payment.id },
          });
        }
        if (created.outcome === 'repeated') res.setHeader('Idempotent-Replayed', 'true');
        res.status(201).location(`${BASE}/${created.payment.id}`).json(await view(created.payment));
      },
    ],
    get: [
      read,
      async (req, res) => {
        const { settled_date_from, settled_date_to, ...query } = validate(paymentListQuery, req.query);
        const filter = { ...query, ...(settled_date_from ? { settledDateFrom: settled_date_from } : {}), ...(settled_date_to ? { settledDateTo: settled_date_to } : {}) };
        const fetched = await payments.list(callerOf(res).organisationId, filter, query.limit + 1, query.cursor);
        const { items, next_cursor } = pageOf(fetched, query.limit, (p) => p);
        res.json({ payments: await views(items), next_cursor });
      },
    ],
  });

  resource(router, `${BASE}/:id`, {
    get: [
      read,
      async (req, res) => {
        res.json(await view(await paymentOf(callerOf(res).organisationId, String(req.params.id))));
      },
    ],
  });

  resource(router, `${BASE}/:id/events`, {
    get: [
      read,
      async (req, res) => {
        const payment = await paymentOf(callerOf(res).organisationId, String(req.params.id));
        res.json({ payment_id: payment.id, events: (await payments.events(payment.id)).map(paymentEventView) });
      },
    ],
  });

  resource(router, `${BASE}/:id/cancel`, {
    post: [
      write,
      async (req, res) => {
        const payment = await paymentOf(callerOf(res).organisationId, String(req.params.id));
        const cancelled = await payments.transition(payment.id, 'cancel', { data: { by: callerOf(res).clientId } });
        if (cancelled.outcome === 'refused') {
          throw new Conflict(`Only a payment the citizen has not submitted can be cancelled; this one is ${cancelled.payment.status}.`, {
            code: 'not_cancellable',
            extensions: { status: cancelled.payment.status },
          });
        }
        res.json(await view(cancelled.outcome === 'not_found' ? payment : cancelled.payment));
      },
    ],
  });
}
