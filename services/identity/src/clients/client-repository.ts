import type { Knex } from '@tamkeen/db';
import type { ClientIssuer, ClientMetadata, RegisteredClient } from './client.js';

interface Row {
  client_id: string;
  organisation_id: string;
  issuer: ClientIssuer;
  name: string;
  metadata: ClientMetadata;
  created_at: Date;
  updated_at: Date;
}

const toClient = (r: Row): RegisteredClient => ({
  clientId: r.client_id,
  organisationId: r.organisation_id,
  issuer: r.issuer,
  name: r.name,
  metadata: r.metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type Db = Knex | Knex.Transaction;

/** `oidc_clients`, one organisation at a time: every read and change is scoped by organisation_id. */
export const clientRepository = {
  async insert(db: Db, client: Pick<RegisteredClient, 'clientId' | 'organisationId' | 'issuer' | 'name' | 'metadata'>): Promise<void> {
    await db('oidc_clients').insert({ client_id: client.clientId, issuer: client.issuer, organisation_id: client.organisationId, name: client.name, metadata: client.metadata });
  },

  async list(db: Db, organisationId: string): Promise<RegisteredClient[]> {
    const rows = await db('oidc_clients').where({ organisation_id: organisationId }).orderBy([{ column: 'created_at' }, { column: 'client_id' }]).select<Row[]>();
    return rows.map(toClient);
  },

  /** With `forUpdate`, the row stays locked until the transaction ends (changes do not overwrite each other). */
  async find(db: Db, organisationId: string, clientId: string, { forUpdate = false } = {}): Promise<RegisteredClient | undefined> {
    const query = db('oidc_clients').where({ organisation_id: organisationId, client_id: clientId }).first<Row | undefined>();
    const row = await (forUpdate ? query.forUpdate() : query);
    return row && toClient(row);
  },

  async update(db: Db, clientId: string, { name, metadata }: Pick<RegisteredClient, 'name' | 'metadata'>): Promise<void> {
    await db('oidc_clients').where({ client_id: clientId }).update({ name, metadata, updated_at: db.fn.now() });
  },

  /**
   * Deletes the client and every oidc-provider model issued to it (grants, codes, refresh and
   * access tokens...: their payloads name it as `clientId`). Returns how many models went, by kind.
   */
  async deleteWithModels(db: Db, clientId: string): Promise<Record<string, number>> {
    await db('oidc_clients').where({ client_id: clientId }).delete();
    // Rare enough that a scan of oidc_models beats an index every token write would pay for.
    const gone = await db('oidc_models').whereRaw(`payload->>'clientId' = ?`, [clientId]).delete().returning<Array<{ kind: string }>>('kind');
    const counts: Record<string, number> = {};
    for (const { kind } of gone) counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  },
};
