import type { Knex } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import type { Actor } from './client-events.js';
import { addOrganisation, ensureClient, type FixedClient, type MetadataCheck } from './client-registry.js';
import { PLATFORM_ORGANISATION } from './platform-client-config.js';

/** The audit's name for changes that PLATFORM_CLIENTS made at start-up. */
export const CONFIGURATION: Actor = { sub: 'configuration', organisationId: null };

// Any number, the same in every instance: replicas starting together take turns.
const ENSURE_LOCK = 4_001_017;

/**
 * At start-up, before listening: the organisation `tamkeen` (a ministry, so its relying parties
 * are first party: no consent page) and each client PLATFORM_CLIENTS lists, with its id and secret,
 * through the client registry (its checks, its audit, as `configuration`). The same list again
 * writes nothing; clients it does not list are left alone. Logs ids and outcomes, never secrets.
 */
export async function ensurePlatformClients(knex: Knex, clients: readonly FixedClient[], { check, logger }: { check: MetadataCheck; logger: Logger }): Promise<void> {
  if (clients.length === 0) return;
  await knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [ENSURE_LOCK]);
    const organisation = await trx('organisations').where({ id: PLATFORM_ORGANISATION.id }).first<{ kind: string } | undefined>('kind');
    if (!organisation) {
      await addOrganisation(trx, PLATFORM_ORGANISATION);
      logger.info({ organisation: PLATFORM_ORGANISATION.id }, 'added the platform organisation');
    } else if (organisation.kind !== PLATFORM_ORGANISATION.kind) {
      // A business's relying parties ask citizens' consent: the payment page's login would.
      throw new Error(`the organisation ${PLATFORM_ORGANISATION.id} is a ${organisation.kind}, not a ministry: the platform's own clients must be first party`);
    }
    for (const client of clients) {
      const outcome = await ensureClient(trx, client, { actor: CONFIGURATION, check });
      logger.info({ client_id: client.clientId, kind: client.kind, outcome }, `platform client ${client.clientId}: ${outcome}`);
    }
  });
}
