import type { Knex } from '@tamkeen/db';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface ModelRow {
  payload: AdapterPayload;
  expires_at: Date | null;
  consumed_at: Date | null;
}

/**
 * oidc-provider's storage in PostgreSQL: one row per (model kind, id) in `oidc_models`, so sessions,
 * grants, codes and tokens survive a restart and any instance serves any of them. Expired rows are
 * never returned, and `sweepExpiredModels` deletes them.
 */
export function postgresAdapter(knex: Knex, issuer: 'citizen' | 'enterprise', { clientCacheMs = 30_000 } = {}): new (name: string) => Adapter {
  // oidc-provider asks for the client on nearly every request of a login; its registration changes
  // rarely. Kept for `clientCacheMs`: a changed secret or redirect URI applies within that time.
  const clients = new Map<string, { metadata: AdapterPayload; until: number }>();
  return class PostgresAdapter implements Adapter {
    constructor(private readonly kind: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      await knex('oidc_models')
        .insert({
          kind: this.kind,
          id,
          payload,
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        })
        .onConflict(['kind', 'id'])
        .merge(['payload', 'grant_id', 'user_code', 'uid', 'expires_at']);
    }

    private async findWhere(where: Record<string, string>): Promise<AdapterPayload | undefined> {
      const row = await knex('oidc_models')
        .where({ kind: this.kind, ...where })
        .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', knex.fn.now()))
        .first<ModelRow | undefined>('payload', 'expires_at', 'consumed_at');
      if (!row) return undefined;
      return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
    }

    async find(id: string) {
      // Clients are registered by organisations (oidc_clients), each on one issuer.
      if (this.kind === 'Client') {
        const cached = clients.get(id);
        if (cached && cached.until > Date.now()) return cached.metadata;
        const row = await knex('oidc_clients').where({ client_id: id, issuer }).first<{ metadata: AdapterPayload; organisation_id: string } | undefined>('metadata', 'organisation_id');
        if (!row) return undefined;
        const metadata = { ...row.metadata, client_id: id, organisation_id: row.organisation_id };
        if (clientCacheMs > 0) clients.set(id, { metadata, until: Date.now() + clientCacheMs });
        return metadata;
      }
      return this.findWhere({ id });
    }

    findByUid(uid: string) {
      return this.findWhere({ uid });
    }

    findByUserCode(userCode: string) {
      return this.findWhere({ user_code: userCode });
    }

    async consume(id: string): Promise<void> {
      await knex('oidc_models').where({ kind: this.kind, id }).update({ consumed_at: knex.fn.now() });
    }

    async destroy(id: string): Promise<void> {
      await knex('oidc_models').where({ kind: this.kind, id }).delete();
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
