import { newestFirst, webhookEndpoints, type Knex } from '@tamkeen/db';
import { callerOf, listQueryFields, pageOf, requireScope, resource, validate, webhookEndpointRoutes, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An endpoint URL: https, or http only to this machine (a ministry's receiver under test). */
const endpointUrl = z.string().superRefine((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (value.length > 2_000) ctx.addIssue({ code: 'custom', message: 'must be at most 2000 characters' });
  else if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)))) ctx.addIssue({ code: 'custom', message: 'must be an https URL (http only for localhost)' });
});

const endpointInput = z.object({ url: endpointUrl }).strict();

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;

const deliveriesQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES, { message: `must be one of ${DELIVERY_STATUSES.join(', ')}` }).optional(),
    limit: listQueryFields.limit,
    cursor: listQueryFields.cursor,
  })
  .strict();

interface DeliveryRow {
  id: string;
  payment_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const deliveryView = (r: DeliveryRow & { createdAt: Date }) => ({
  id: r.id,
  payment_id: r.payment_id,
  type: r.event_type,
  status: r.status,
  attempts: r.attempts,
  ...(r.status === 'pending' ? { next_attempt_at: r.next_attempt_at.toISOString() } : {}),
  last_error: r.last_error,
  created_at: r.created_at.toISOString(),
  delivered_at: r.delivered_at?.toISOString() ?? null,
});

/**
 * The ministry's webhook (openapi/payments.yaml), as the notifications API's: PUT sets the URL and
 * issues a new signing secret (shown only in that answer), GET shows the URL, DELETE stops the
 * posts; `/deliveries` lists the notices and what became of them, newest first (`status=failed`:
 * the dead letters).
 */
export function webhookRoutes(router: IRouter, { knex, verify }: { knex: Knex; verify: AccessTokenVerifier }): void {
  const manage = requireScope(verify, 'payments:write');
  webhookEndpointRoutes(router, '/payments/v1/webhook', { guard: manage, input: endpointInput, store: webhookEndpoints(knex, 'webhook_endpoints') });

  resource(router, '/payments/v1/webhook/deliveries', {
    get: [
      manage,
      async (req, res) => {
        const query = validate(deliveriesQuery, req.query);
        const rows = knex('outbox').where({ organisation_id: callerOf(res).organisationId });
        if (query.status) rows.where('status', query.status);
        const fetched = (await newestFirst(rows, { after: query.cursor, limit: query.limit + 1 }).select('id', 'payment_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'last_error', 'created_at', 'delivered_at')) as DeliveryRow[];
        const { items, next_cursor } = pageOf(
          fetched.map((r) => ({ ...r, createdAt: r.created_at })),
          query.limit,
          deliveryView,
        );
        res.json({ deliveries: items, next_cursor });
      },
    ],
  });
}
