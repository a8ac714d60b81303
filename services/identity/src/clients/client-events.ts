import type { Knex } from '@tamkeen/db';
import { currentRequestId } from '@tamkeen/http-kit';

export type ClientAction = 'created' | 'updated' | 'secret_rotated' | 'deleted';

/** Who changed a client: a staff member (their `sub` and organisation), or the operator's command line. */
export interface Actor {
  sub: string;
  organisationId: string | null;
}

export const OPERATOR: Actor = { sub: 'operator', organisationId: null };

export interface ClientEvent {
  id: string;
  clientId: string;
  action: ClientAction;
  actor: Actor;
  /** What changed, in the API's words; never a secret. */
  changes: Record<string, unknown>;
  requestId: string | null;
  occurredAt: Date;
}

interface Row {
  id: string;
  client_id: string;
  action: ClientAction;
  actor_sub: string;
  actor_organisation_id: string | null;
  changes: Record<string, unknown>;
  request_id: string | null;
  occurred_at: Date;
}

/** Appends one event, in the transaction that made the change (both are written, or neither). */
export async function recordClientEvent(
  trx: Knex.Transaction,
  event: { clientId: string; organisationId: string; action: ClientAction; actor: Actor; changes?: Record<string, unknown> },
): Promise<void> {
  await trx('client_events').insert({
    client_id: event.clientId,
    organisation_id: event.organisationId,
    action: event.action,
    actor_sub: event.actor.sub,
    actor_organisation_id: event.actor.organisationId,
    changes: event.changes ?? {},
    request_id: currentRequestId() ?? null,
  });
}

/** A client's events, newest first; only the organisation's own (a removed client's included). */
export async function clientEventsOf(knex: Knex, organisationId: string, clientId: string): Promise<ClientEvent[]> {
  const rows = await knex('client_events').where({ organisation_id: organisationId, client_id: clientId }).orderBy('id', 'desc').select<Row[]>();
  return rows.map((r) => ({
    id: String(r.id),
    clientId: r.client_id,
    action: r.action,
    actor: { sub: r.actor_sub, organisationId: r.actor_organisation_id },
    changes: r.changes,
    requestId: r.request_id,
    occurredAt: r.occurred_at,
  }));
}
