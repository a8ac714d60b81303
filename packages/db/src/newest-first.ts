import type { Knex } from 'knex';

/** A list's window and page: created from/to, and the last item of the previous page (newest first). */
export interface NewestFirstPage {
  from?: Date | undefined;
  to?: Date | undefined;
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/**
 * Narrows `query` (rows with `created_at` and `id`) to one page, newest first: keyset paging on
 * (created_at, id), so pages stay right while rows are added, and an index on
 * (owner, created_at, id) serves it.
 */
export function newestFirst<Q extends Knex.QueryBuilder>(query: Q, { from, to, after, limit }: NewestFirstPage): Q {
  if (from) query.where('created_at', '>=', from);
  if (to) query.where('created_at', '<', to);
  if (after) query.whereRaw('(created_at, id) < (?, ?)', [after.createdAt, after.id]);
  return query.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit) as Q;
}
