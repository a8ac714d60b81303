import { z } from 'zod';

/** Where a page of newest-first items ends: the last one shown (its time and id), opaque to callers. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor({ createdAt, id }: PageCursor): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

/** A `cursor` query parameter as this API gave it; anything else is a 400 naming it. */
export const cursorParam = z.string().transform((value, ctx): PageCursor => {
  const [at, id] = Buffer.from(value, 'base64url').toString().split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !z.uuid().safeParse(id).success) {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API gave' });
    return z.NEVER;
  }
  return { createdAt, id };
});

/** A page of `limit` items from `limit + 1` fetched (the extra one says there is a next page), shown by `view`. */
export function pageOf<T extends PageCursor, V>(fetched: T[], limit: number, view: (item: T) => V): { items: V[]; next_cursor: string | null } {
  const shown = fetched.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown.map(view), next_cursor: fetched.length > limit && last ? encodeCursor(last) : null };
}

/**
 * The query parameters every newest-first list takes: `reference`, a `from`/`to` creation window,
 * `limit` (1–100, 50) and the `cursor` of the previous page. Spread into a list's own schema.
 */
export const listQueryFields = {
  reference: z.string().min(1).max(255).optional(),
  from: z.coerce.date({ message: 'must be a date-time (ISO 8601)' }).optional(),
  to: z.coerce.date({ message: 'must be a date-time (ISO 8601)' }).optional(),
  limit: z.coerce.number().int().min(1).max(100, { message: 'must be 1 to 100' }).default(50),
  cursor: cursorParam.optional(),
};
