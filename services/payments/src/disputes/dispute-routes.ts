import { callerOf, Conflict, jsonBody, listQueryFields, NotFound, pageOf, requireScope, resource, ServiceUnavailable, validate, type AccessTokenVerifier, type Logger } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import { PspRequestRefused, PspUnavailable, type PaymentProvider } from '../psp/payment-provider.js';
import type { Dispute, DisputeRepository } from './dispute-repository.js';
import { disputeView } from './dispute-view.js';

const BASE = '/payments/v1/disputes';

const listQuery = z
  .object({
    from: listQueryFields.from,
    to: listQueryFields.to,
    limit: listQueryFields.limit,
    cursor: listQueryFields.cursor,
  })
  .strict();

const evidenceInput = z
  .object({
    text: z.string().min(1, { message: 'must not be empty' }).max(20_000, { message: 'must be at most 20000 characters' }),
    submit: z.boolean().default(true),
  })
  .strict();

export interface DisputeRoutesDeps {
  disputes: DisputeRepository;
  verify: AccessTokenVerifier;
  bodyLimit: string;
  logger: Logger;
  /** The PSP, to which evidence is forwarded; without one, evidence answers 503. */
  psp?: PaymentProvider | undefined;
}

/**
 * The ministries' disputes (openapi/payments.yaml): the chargebacks and inquiries the card
 * holders' banks opened on their payments (brought by the PSP's webhooks), newest first, one by
 * one, and the evidence that answers one, forwarded to the PSP. A ministry sees only its own.
 */
export function disputeRoutes(router: IRouter, { disputes, verify, bodyLimit, logger, psp }: DisputeRoutesDeps): void {
  const write = requireScope(verify, 'payments:write');
  const read = requireScope(verify, 'payments:read', 'payments:write');
  const json = jsonBody(bodyLimit);

  async function disputeOf(organisationId: string, id: string): Promise<Dispute> {
    const found = z.uuid().safeParse(id).success ? await disputes.find(organisationId, id) : undefined;
    if (!found) throw new NotFound(`Your organisation has no dispute ${id}.`);
    return found;
  }

  resource(router, BASE, {
    get: [
      read,
      async (req, res) => {
        const query = validate(listQuery, req.query);
        const fetched = await disputes.list(callerOf(res).organisationId, { from: query.from, to: query.to }, query.limit + 1, query.cursor);
        const { items, next_cursor } = pageOf(fetched, query.limit, disputeView);
        res.json({ disputes: items, next_cursor });
      },
    ],
  });

  resource(router, `${BASE}/:id`, {
    get: [
      read,
      async (req, res) => {
        res.json(disputeView(await disputeOf(callerOf(res).organisationId, String(req.params.id))));
      },
    ],
  });

  resource(router, `${BASE}/:id/evidence`, {
    post: [
      write,
      json,
      async (req, res) => {
        const dispute = await disputeOf(callerOf(res).organisationId, String(req.params.id));
        const input = validate(evidenceInput, req.body ?? {});
        if (!psp) throw new ServiceUnavailable('The payment provider is not configured: evidence cannot be forwarded.');
        let snapshot;
        try {
          snapshot = await psp.updateDispute({ disputeId: dispute.pspDisputeId, text: input.text, submit: input.submit });
        } catch (error) {
          if (error instanceof PspRequestRefused) {
            throw new Conflict(`The payment provider refused the evidence: ${error.message}`, { code: 'dispute_not_updatable', extensions: { status: dispute.status } });
          }
          if (error instanceof PspUnavailable) {
            logger.warn({ err: error, disputeId: dispute.id }, 'the PSP could not take the evidence now');
            throw new ServiceUnavailable('The payment provider cannot take the evidence now; send it again (the same evidence is the same request).');
          }
          throw error;
        }
        // The PSP's answer is its dispute now: taken in as its webhook would be (which then finds nothing to do).
        const applied = await disputes.apply(snapshot, { source: 'evidence' });
        const shown = applied.outcome === 'applied' ? applied.dispute : ((await disputes.find(dispute.organisationId, dispute.id)) ?? dispute);
        res.json(disputeView(shown));
      },
    ],
  });
}
