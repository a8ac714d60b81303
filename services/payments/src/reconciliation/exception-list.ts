import type { Knex } from '@tamkeen/db';
import type { PageCursor } from '@tamkeen/http-kit';
import type { ExceptionRow, ExceptionStatus } from './exception-resolution.js';

/** Which exceptions: of a kind, in a status (`unresolved`: every status but resolved); all when unsaid. */
export interface ExceptionFilter {
  kind?: string | undefined;
  status?: ExceptionStatus | 'unresolved' | undefined;
}

function filtered(knex: Knex, filter: ExceptionFilter): Knex.QueryBuilder {
  const query = knex('reconciliation_exceptions');
  if (filter.kind) query.where('kind', filter.kind);
  if (filter.status === 'unresolved') query.whereNot('status', 'resolved');
  else if (filter.status) query.where('status', filter.status);
  return query;
}

/** Exceptions newest first (by when they were raised), a page at a time (the API): `after` is the last of the previous page. */
export async function exceptionsNewestFirst(knex: Knex, filter: ExceptionFilter, limit: number, after?: PageCursor): Promise<Array<ExceptionRow & PageCursor>> {
  const query = filtered(knex, filter);
  // In milliseconds, as the cursor carries it: exceptions raised together (one transaction) share a raised_at to the microsecond.
  if (after) query.whereRaw(`(date_trunc('milliseconds', raised_at), id) < (?, ?)`, [after.createdAt, after.id]);
  const rows = (await query.orderByRaw(`date_trunc('milliseconds', raised_at) desc, id desc`).limit(limit)) as ExceptionRow[];
  return rows.map((r) => ({ ...r, createdAt: r.raised_at }));
}

/**
 * The work queue's order (the finance console): the longest waiting first — resolved ones newest
 * first —, at most `limit` (`more` says there are others).
 */
export async function exceptionsLongestWaiting(knex: Knex, filter: ExceptionFilter, limit: number): Promise<{ exceptions: ExceptionRow[]; more: boolean }> {
  const rows = (await filtered(knex, filter).orderBy([{ column: 'raised_at', order: filter.status === 'resolved' ? 'desc' : 'asc' }, { column: 'id' }]).limit(limit + 1)) as ExceptionRow[];
  return { exceptions: rows.slice(0, limit), more: rows.length > limit };
}
