import type { Knex } from '@tamkeen/db';
import type { PageCursor } from '@tamkeen/http-kit';
import type { ExceptionRow } from '../reconciliation/exception-resolution.js';

export interface ExceptionFilter {
  kind?: string | undefined;
  status?: string | undefined;
}

/** Exceptions newest first (by when they were raised), a page at a time: `after` is the last of the previous page. */
export async function listExceptions(knex: Knex, filter: ExceptionFilter, limit: number, after?: PageCursor): Promise<Array<ExceptionRow & PageCursor>> {
  const query = knex('reconciliation_exceptions');
  if (filter.kind) query.where('kind', filter.kind);
  if (filter.status) query.where('status', filter.status);
  // In milliseconds, as the cursor carries it: exceptions raised together (one transaction) share a raised_at to the microsecond.
  if (after) query.whereRaw(`(date_trunc('milliseconds', raised_at), id) < (?, ?)`, [after.createdAt, after.id]);
  const rows = (await query.orderByRaw(`date_trunc('milliseconds', raised_at) desc, id desc`).limit(limit)) as ExceptionRow[];
  return rows.map((r) => ({ ...r, createdAt: r.raised_at }));
}
