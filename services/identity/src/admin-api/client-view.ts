import { describeClient, type RegisteredClient } from '../clients/client.js';
import type { ClientEvent } from '../clients/client-events.js';

/** A client as the API shows it (openapi/identity.yaml `Client`): never its secret. */
export function clientView(client: RegisteredClient) {
  return { client_id: client.clientId, ...describeClient(client), created_at: client.createdAt.toISOString(), updated_at: client.updatedAt.toISOString() };
}

/** An audit event as the API shows it (`ClientEvent`). */
export function clientEventView(event: ClientEvent) {
  return {
    id: event.id,
    action: event.action,
    client_id: event.clientId,
    actor: { sub: event.actor.sub, organisation_id: event.actor.organisationId },
    changes: event.changes,
    request_id: event.requestId,
    occurred_at: event.occurredAt.toISOString(),
  };
}
