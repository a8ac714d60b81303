import { callerOf, Conflict, Forbidden, NotFound, requireScope, resource, UnprocessableContent, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { Knex } from '@tamkeen/db';
import type { IRouter, Response } from 'express';
import { z } from 'zod';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { exceptionWorkQueue, type Acted, type ExceptionEvent, type ExceptionRow } from './exception-resolution.js';

export interface ExceptionRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  platformOrganisationId?: string;
  now?: () => Date;
}

const reason = z.string().trim().min(1, { message: 'is required: say why' }).max(2000);
const id = z.uuid({ message: 'must be an exception id (a UUID)' });
const assignBody = z.strictObject({ assignee: z.string().trim().min(1).max(200), reason: reason.optional() });
const commentBody = z.strictObject({ text: reason });
const matched = z
  .strictObject({
    payment_id: z.uuid().optional(),
    refund_id: z.uuid().optional(),
    dispute_id: z.uuid().optional(),
    payout_id: z.string().min(1).max(255).optional(),
    balance_transaction_id: z.string().min(1).max(255).optional(),
    bank_entry_id: z.string().min(1).max(255).optional(),
  })
  .refine((m) => Object.keys(m).length > 0, { message: 'names at least one record the item matches (payment_id, payout_id, bank_entry_id...)' });
const resolveBody = z.discriminatedUnion('resolution', [
  z.strictObject({ resolution: z.literal('manual_match'), reason, matched }),
  z.strictObject({ resolution: z.literal('write_off'), reason }),
], { message: 'resolution must be manual_match (with matched) or write_off' });
const approveBody = z.strictObject({ reason: reason.optional() });
const rejectBody = z.strictObject({ reason });

/** An exception as the API shows it, with its history (who did what, when, why). */
export function exceptionView(e: ExceptionRow, history?: ExceptionEvent[]) {
  const resolved = history?.findLast((h) => h.action === 'resolved');
  return {
    id: e.id,
    kind: e.kind,
    status: e.status,
    organisation_id: e.organisation_id,
    currency: e.currency,
    amount: e.amount === null ? null : Number(e.amount),
    expected_amount: e.expected_amount === null ? null : Number(e.expected_amount),
    payment_id: e.payment_id,
    refund_id: e.refund_id,
    dispute_id: e.dispute_id,
    payout_id: e.payout_id,
    balance_transaction_id: e.balance_transaction_id,
    bank_entry_id: e.bank_entry_id,
    details: e.details,
    assigned_to: e.assigned_to,
    raised_at: e.raised_at.toISOString(),
    updated_at: e.updated_at.toISOString(),
    resolved_at: e.resolved_at?.toISOString() ?? null,
    ...(history
      ? {
          resolution: resolved ? { ...resolved.data, reason: resolved.reason, by: resolved.actor, at: resolved.at.toISOString() } : null,
          history: history.map((h) => ({ action: h.action, actor: h.actor, reason: h.reason, data: h.data, at: h.at.toISOString() })),
        }
      : {}),
  };
}

const REFUSALS = {
  resolved: () => new Conflict('The exception is resolved: only comments can be added now.', { code: 'exception_resolved' }),
  awaiting_approval: () => new Conflict('A write-off of this exception awaits a second finance officer\'s approval: approve or reject it first.', { code: 'awaiting_approval' }),
  not_awaiting_approval: () => new Conflict('No write-off of this exception awaits approval.', { code: 'not_awaiting_approval' }),
  own_write_off: () => new Forbidden('A write-off is approved by a second finance officer, not by the one who asked for it (four eyes).', { code: 'four_eyes' }),
  no_amount: () => new UnprocessableContent('This exception does not say the amount and currency a write-off would post; resolve it as a manual match, or comment and wait for its figures.', { code: 'no_amount' }),
  not_found: () => new NotFound('There is no such exception.', { code: 'exception_not_found' }),
} as const;

/**
 * The exception work queue's actions (openapi/payments.yaml), for the platform's finance staff:
 * read one with its history; assign, comment, resolve (a manual match, or a write-off that a
 * second officer approves or rejects). Actions are a person's: a token without a subject (a
 * machine client) may read, not act.
 */
export function exceptionRoutes(router: IRouter, { knex, verify, platformOrganisationId = PLATFORM_ORGANISATION_ID, now }: ExceptionRoutesDeps): void {
  const read = requireScope(verify, 'reconciliation:read');
  const write = requireScope(verify, 'reconciliation:write');
  const queue = exceptionWorkQueue(knex, now ? { now } : {});

  const platformCaller = (res: Response) => {
    const caller = callerOf(res);
    if (caller.organisationId !== platformOrganisationId) throw new Forbidden('Reconciliation exceptions are the platform\'s finance staff\'s.', { code: 'platform_only' });
    return caller;
  };
  /** The finance officer acting: their subject at the enterprise issuer. */
  const officer = (res: Response) => {
    const caller = platformCaller(res);
    if (!caller.subject) throw new Forbidden('Exceptions are worked by finance officers: log in as one (a machine client can read the queue, not act on it).', { code: 'person_required' });
    return caller.subject;
  };
  const answer = async (res: Response, exceptionId: string, acted: Acted) => {
    if (acted.refused) throw REFUSALS[acted.refused]();
    const found = await queue.find(exceptionId);
    res.json(exceptionView(found!.exception, found!.history));
  };
  const idOf = (params: Record<string, unknown>) => validate(z.object({ id }), params).id;

  resource(router, '/payments/v1/reconciliation/exceptions/:id', {
    get: [
      read,
      async (req, res) => {
        platformCaller(res);
        const found = await queue.find(idOf(req.params));
        if (!found) throw REFUSALS.not_found();
        res.json(exceptionView(found.exception, found.history));
      },
    ],
  });
  const action = (path: string, act: (exceptionId: string, actor: string, body: unknown) => Promise<Acted>) =>
    resource(router, `/payments/v1/reconciliation/exceptions/:id/${path}`, {
      post: [
        write,
        async (req, res) => {
          const actor = officer(res);
          const exceptionId = idOf(req.params);
          await answer(res, exceptionId, await act(exceptionId, actor, req.body ?? {}));
        },
      ],
    });
  action('assign', (exceptionId, actor, body) => {
    const input = validate(assignBody, body);
    return queue.assign(exceptionId, actor, input.assignee, input.reason ?? null);
  });
  action('comments', (exceptionId, actor, body) => queue.comment(exceptionId, actor, validate(commentBody, body).text));
  action('resolve', (exceptionId, actor, body) => {
    const input = validate(resolveBody, body);
    if (input.resolution === 'write_off') return queue.requestWriteOff(exceptionId, actor, input.reason);
    const m = input.matched;
    return queue.resolveByMatch(exceptionId, actor, input.reason, {
      ...(m.payment_id ? { paymentId: m.payment_id } : {}),
      ...(m.refund_id ? { refundId: m.refund_id } : {}),
      ...(m.dispute_id ? { disputeId: m.dispute_id } : {}),
      ...(m.payout_id ? { payoutId: m.payout_id } : {}),
      ...(m.balance_transaction_id ? { balanceTransactionId: m.balance_transaction_id } : {}),
      ...(m.bank_entry_id ? { bankEntryId: m.bank_entry_id } : {}),
    });
  });
  action('approve', (exceptionId, actor, body) => queue.approveWriteOff(exceptionId, actor, validate(approveBody, body).reason ?? null));
  action('reject', (exceptionId, actor, body) => queue.rejectWriteOff(exceptionId, actor, validate(rejectBody, body).reason));
}
