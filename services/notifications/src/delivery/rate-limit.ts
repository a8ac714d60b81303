import { tokenBucket, type Knex, type Redis, type Turn } from '@tamkeen/db';

export interface RateLimiter {
  /** Takes one send from the organisation's bucket; when it is empty, says how long to wait. */
  take(organisationId: string): Promise<Turn>;
}

/** Sends per minute per organisation: the default, or the organisation's own limit (organisation_limits). */
export function sendingRateLimiter(redis: Redis, knex: Knex, { defaultPerMinute, prefix }: { defaultPerMinute: number; prefix: string }): RateLimiter {
  const buckets = tokenBucket(redis, prefix);
  const limits = new Map<string, { perMinute: number; until: number }>();
  // Overrides are read from PostgreSQL at most once a minute per organisation.
  const perMinuteOf = async (organisationId: string) => {
    const cached = limits.get(organisationId);
    if (cached && cached.until > Date.now()) return cached.perMinute;
    const row = await knex('organisation_limits').where({ organisation_id: organisationId }).first<{ per_minute: number } | undefined>();
    const perMinute = row?.per_minute ?? defaultPerMinute;
    limits.set(organisationId, { perMinute, until: Date.now() + 60_000 });
    return perMinute;
  };
  return {
    async take(organisationId) {
      return buckets.take(organisationId, await perMinuteOf(organisationId));
    },
  };
}
