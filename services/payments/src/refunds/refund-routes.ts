import { callerOf, Conflict, idempotencyKeyOf, jsonBody, NotFound, requestHash, requireScope, resource, ServiceUnavailable, UnprocessableContent, validate, ValidationFailed, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import { amountProblem, type Currency } from '../domain/money.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import type { Refund, RefundRepository } from './refund-repository.js';
import { settleRefundWithPsp } from './refund-settlement.js';
import { refundView } from './refund-view.js';

const BASE = '/payments/v1/payments/:id/refunds';

export interface RefundRoutesDeps {
  refunds: RefundRepository;
  verify: AccessTokenVerifier;
  logger: Logger;
  bodyLimit: string;
  /** The PSP that took the payments; without one no refund can be made. */
  psp?: PaymentProvider;
}

const newRefundBody = z
  .object({
    amount: z.unknown().optional(),
    reason: z.string({ message: 'must be text' }).trim().min(1, { message: 'must not be empty' }).max(255, { message: 'must be at most 255 characters' }).optional(),
  })
  .strict();

const uuid = (value: string) => z.uuid().safeParse(value).success;

/**
 * Refunds of a ministry's succeeded payments (openapi/payments.yaml): `POST` gives back all that
 * is left or `amount` of it, with an Idempotency-Key as payment creation; `GET` lists a payment's
 * refunds or reads one.
 *
 * A refund is reserved first (refund-repository.ts: under the payment's row lock, never more than
 * paid minus refunded), then asked of the PSP with an idempotency key derived from the refund's
 * id. Its answer settles the refund: `succeeded` (posted to the ledger) or `failed` (refused by
 * the PSP: the amount is available again). When the PSP does not answer (down, timed out, 5xx),
 * the refund stays `submitted`, holding its amount, and is settled later: reading it (`GET
 * …/refunds/{refund_id}`) asks the PSP again, repeating the same call with the same key (the PSP
 * answers it as the first time, or does it now), or reading the PSP's refund when it answered
 * `pending`. Repeating the POST with the same key and body does the same.
 */
export function refundRoutes(router: IRouter, { refunds, verify, logger, bodyLimit, psp }: RefundRoutesDeps): void {
  const write = requireScope(verify, 'payments:write');
  const read = requireScope(verify, 'payments:read', 'payments:write');
  const json = jsonBody(bodyLimit);

  /** Asks the PSP how a submitted refund ended and settles it (refund-settlement.ts); as it is without a PSP. */
  const settle = (refund: Refund, intentId: string | null): Promise<Refund> => (psp ? settleRefundWithPsp({ refunds, psp, logger }, refund, intentId) : Promise.resolve(refund));

  async function paymentIntentOf(organisationId: string, paymentId: string): Promise<{ intentId: string | null; currency: Currency }> {
    const payment = uuid(paymentId) ? await refunds.paymentOf(organisationId, paymentId) : undefined;
    if (!payment) throw new NotFound(`Your organisation has no payment ${paymentId}.`);
    return payment;
  }

  resource(router, BASE, {
    post: [
      write,
      json,
      async (req, res) => {
        const caller = callerOf(res);
        const paymentId = String(req.params.id);
        const key = idempotencyKeyOf(req, { required: true });
        const input = validate(newRefundBody, req.body ?? {});
        const { currency } = await paymentIntentOf(caller.organisationId, paymentId);
        if (input.amount !== undefined) {
          const problem = amountProblem(input.amount, currency);
          if (problem) throw new ValidationFailed([{ name: 'amount', reason: problem }]);
        }
        const reserved = await refunds.reserve({
          organisationId: caller.organisationId,
          paymentId,
          ...(input.amount !== undefined ? { amount: input.amount as number } : {}),
          reason: input.reason ?? null,
          idempotencyKey: key,
          requestHash: requestHash(req.path, req.body ?? {}),
        });
        switch (reserved.outcome) {
          case 'payment not found':
            throw new NotFound(`Your organisation has no payment ${paymentId}.`);
          case 'not refundable':
            throw new Conflict(`Only a succeeded payment can be refunded; this one is ${reserved.status}.`, { code: 'payment_not_refundable', extensions: { status: reserved.status } });
          case 'fully refunded':
            throw new Conflict('This payment is refunded in full: nothing is left to refund.', { code: 'payment_fully_refunded' });
          case 'too much':
            throw new ValidationFailed([{ name: 'amount', reason: `must be at most ${reserved.available}, what is left of the payment to refund` }]);
          case 'key reused':
            throw new UnprocessableContent('This Idempotency-Key was used with a different request; use a new key for a new refund.', { code: 'idempotency_key_reused', extensions: { refund_id: reserved.refund.id } });
          default:
            break;
        }
        if (!psp && reserved.outcome === 'created') throw new ServiceUnavailable('No payment provider is configured to refund through.');
        const refund = await settle(reserved.refund, reserved.intentId);
        if (reserved.outcome === 'repeated') res.setHeader('Idempotent-Replayed', 'true');
        res.status(201).location(`/payments/v1/payments/${paymentId}/refunds/${refund.id}`).json(refundView(refund));
      },
    ],
    get: [
      read,
      async (req, res) => {
        const organisationId = callerOf(res).organisationId;
        const paymentId = String(req.params.id);
        await paymentIntentOf(organisationId, paymentId);
        res.json({ payment_id: paymentId, refunds: (await refunds.list(organisationId, paymentId)).map(refundView) });
      },
    ],
  });

  resource(router, `${BASE}/:refundId`, {
    get: [
      read,
      async (req, res) => {
        const organisationId = callerOf(res).organisationId;
        const paymentId = String(req.params.id);
        const refundId = String(req.params.refundId);
        const { intentId } = await paymentIntentOf(organisationId, paymentId);
        const found = uuid(refundId) ? await refunds.find(organisationId, paymentId, refundId) : undefined;
        if (!found) throw new NotFound(`Payment ${paymentId} has no refund ${refundId}.`);
        res.json(refundView(await settle(found, intentId)));
      },
    ],
  });
}
