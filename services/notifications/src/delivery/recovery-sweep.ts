import type { Knex } from '@tamkeen/db';
import type { Lane, Lanes } from './lanes.js';

/**
 * Queues again what was accepted and not handed to a provider: rows still `created` (Redis lost
 * the job, or queueing failed after the write) or `sending` with no provider id (a worker died
 * before the provider answered; the provider recognises a repeat by the notification id).
 * Adding a job that is still queued does nothing, so the sweep is safe to run at any time.
 */
export async function requeueUnsent(knex: Knex, lanes: Lanes, { olderThanMs, limit = 1_000 }: { olderThanMs: number; limit?: number }): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMs);
  const rows = await knex('notifications')
    .select<Array<{ id: string; lane: Lane }>>('id', 'lane')
    .where((q) => q.where('status', 'created').where('created_at', '<=', cutoff))
    .orWhere((q) => q.where('status', 'sending').whereNull('provider_reference').where('updated_at', '<=', cutoff))
    .orderBy('created_at')
    .limit(limit);
  // Added together, so that the lanes gather them into a few round trips.
  await Promise.all(rows.map((row) => lanes.add(row.lane, row.id)));
  return rows.length;
}
