import type { Knex } from '@tamkeen/db';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface ModelRow {
  payload: AdapterPayload;
  expires_at: Date | null;
  consumed_at: Date | null;
}

/** Every client cache in this process: a change made through the admin API applies here at once. */
const clientCaches = new Set<Map<string, unknown>>();

/** Forgets a client's cached registration in this process; other instances see the change within their `clientCacheMs`. */
export function forgetCachedClient(clientId: string): void {
  for (const cache of clientCaches) cache.delete(clientId);
}

// The statements of every login, each prepared once per connection (named): PostgreSQL plans them
// once, and no query builder runs on the hot path. (Named statements need a session-pooled or direct
// connection: not PgBouncer in transaction mode.)
const UPSERT = `insert into oidc_models (kind, id, payload, grant_id, user_code, uid, expires_at) values (?, ?, ?, ?, ?, ?, ?)
  on conflict (kind, id) do update set payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`;
const findBy = (column: string) =>
  `select payload, expires_at, consumed_at from oidc_models where kind = ? and ${column} = ? and (expires_at is null or expires_at > now()) limit 1`;
const FIND = { id: findBy('id'), uid: findBy('uid'), user_code: findBy('user_code') };

/**
 * oidc-provider's storage in PostgreSQL: one row per (model kind, id) in `oidc_models`, so sessions,
 * grants, codes and tokens survive a restart and any instance serves any of them. Expired rows are
 * never returned, and `sweepExpiredModels` deletes them.
 */
export function postgresAdapter(knex: Knex, issuer: 'citizen' | 'enterprise', { clientCacheMs = 30_000 } = {}): new (name: string) => Adapter {
  // oidc-provider asks for the client on nearly every request of a login; its registration changes
  // rarely. Kept for `clientCacheMs`: a changed secret or redirect URI applies within that time.
  const clients = new Map<string, { metadata: AdapterPayload; until: number }>();
  clientCaches.add(clients);
  return class PostgresAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000) : null;
      await knex.raw(UPSERT, [this.kind, id, payload, payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt]).options({ name: 'oidc-models-upsert' });
    }

    private async findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const { rows } = await knex.raw<{ rows: ModelRow[] }>(FIND[column], [this.kind, value]).options({ name: `oidc-models-find-by-${column}` });
      const row = rows[0];
      if (!row) return undefined;
      return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
    }

    async find(id: string) {
      // Clients are registered by organisations (oidc_clients), each on one issuer.
      if (this.kind === 'Client') {
        const cached = clients.get(id);
        if (cached && cached.until > Date.now()) return cached.metadata;
        const row = await knex('oidc_clients')
          .join('organisations', 'organisations.id', 'oidc_clients.organisation_id')
          .where({ client_id: id, issuer })
          .first<{ metadata: AdapterPayload; organisation_id: string; kind: string; name_ar: string; name_en: string } | undefined>('metadata', 'organisation_id', 'kind', 'name_ar', 'name_en');
        if (!row) return undefined;
        // Whose client this is, as the pages name it (a business's relying party asks citizens' consent).
        const metadata = { ...row.metadata, client_id: id, organisation_id: row.organisation_id, organisation_kind: row.kind, organisation_name_ar: row.name_ar, organisation_name_en: row.name_en };
        if (clientCacheMs > 0) clients.set(id, { metadata, until: Date.now() + clientCacheMs });
        return metadata;
      }
      return this.findWhere('id', id);
    }

    findByUid(uid: string) {
      return this.findWhere('uid', uid);
    }

    findByUserCode(userCode: string) {
      return this.findWhere('user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      await knex.raw('update oidc_models set consumed_at = now() where kind = ? and id = ?', [this.kind, id]).options({ name: 'oidc-models-consume' });
    }

    async destroy(id: string): Promise<void> {
      await knex.raw('delete from oidc_models where kind = ? and id = ?', [this.kind, id]).options({ name: 'oidc-models-destroy' });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await knex('oidc_models').where({ kind: this.kind, grant_id: grantId }).delete();
    }
  };
}

/** Deletes what has expired; returns how many rows went. */
export async function sweepExpiredModels(knex: Knex): Promise<number> {
  return knex('oidc_models').where('expires_at', '<=', knex.fn.now()).delete();
}

/** Sweeps expired rows every `everyMs` (every instance may; the deletes do not conflict). */
export function startModelSweeper(knex: Knex, onError: (error: unknown) => void, everyMs = 10 * 60_000): { stop(): Promise<void> } {
  const timer = setInterval(() => void sweepExpiredModels(knex).catch(onError), everyMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}
