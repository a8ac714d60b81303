import { invalidRequest } from './errors.js';
import { inRange, integerParam, onlyKnown, rangeParam, stringParam, type Params } from './params.js';
import type { StripeObject } from './resources.js';

/** A Stripe list: newest first, `limit` (1-100, 10 by default), `starting_after` / `ending_before` cursors, `created` filter. */
export function listOf<T extends { id: string; seq: number; created: number }>(
  records: Iterable<T>,
  params: Params,
  url: string,
  toObject: (record: T) => StripeObject,
  extraParams: readonly string[] = [],
  keep: (record: T) => boolean = () => true,
): StripeObject {
  onlyKnown(params, ['limit', 'starting_after', 'ending_before', 'created', 'expand', ...extraParams]);
  const limit = integerParam(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('This value must be between 1 and 100 (it can be left out: the default is 10).', { param: 'limit' });
  const startingAfter = stringParam(params, 'starting_after');
  const endingBefore = stringParam(params, 'ending_before');
  if (startingAfter && endingBefore) throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', { param: 'ending_before', code: 'parameters_exclusive' });
  const created = rangeParam(params, 'created');
  const everything = [...records];
  const seqOf = (id: string, param: string) => {
    const cursor = everything.find((r) => r.id === id);
    if (!cursor) throw invalidRequest(`No such object: '${id.slice(0, 80)}'`, { param, code: 'resource_missing' });
    return cursor.seq;
  };
  const all = everything.filter((r) => inRange(r.created, created) && keep(r)).sort((a, b) => b.seq - a.seq);
  let page: T[];
  let hasMore: boolean;
  if (endingBefore) {
    const cursor = seqOf(endingBefore, 'ending_before');
    const before = all.filter((r) => r.seq > cursor);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    const cursor = startingAfter ? seqOf(startingAfter, 'starting_after') : Infinity;
    const after = all.filter((r) => r.seq < cursor);
    page = after.slice(0, limit);
    hasMore = after.length > limit;
  }
  return { object: 'list', data: page.map(toObject), has_more: hasMore, url };
}
