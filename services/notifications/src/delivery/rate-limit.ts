import { batched, type Knex, type Redis } from '@tamkeen/db';

// A token bucket per organisation, kept in Redis so every API instance shares it. Redis's own
// clock is used, so instances with drifting clocks agree. Returns {allowed, ms to wait}.
const TAKE = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return {allowed, wait}
`;

export interface RateLimiter {
  /** Takes one send from the organisation's bucket; when it is empty, says how long to wait. */
  take(organisationId: string): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
}

export function sendingRateLimiter(redis: Redis, knex: Knex, { defaultPerMinute, prefix }: { defaultPerMinute: number; prefix: string }): RateLimiter {
  // Loaded once and then called by its SHA (EVALSHA): the script is not sent with every request.
  redis.defineCommand('tamkeenTakeSendToken', { numberOfKeys: 1, lua: TAKE });
  // The takes of sends that arrive together go in one pipeline: one round trip to Redis.
  const take = batched(async (takes: ReadonlyArray<{ key: string; perMinute: number }>) => {
    const pipeline = redis.pipeline() as unknown as Record<string, (key: string, capacity: number, perMs: number) => unknown> & { exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const { key, perMinute } of takes) pipeline.tamkeenTakeSendToken!(key, perMinute, perMinute / 60_000);
    const results = (await pipeline.exec()) ?? [];
    return takes.map((_, i) => {
      const [error, answer] = results[i] ?? [new Error('Redis gave no answer to a rate-limit take'), undefined];
      if (error) throw error;
      return answer as [number, number];
    });
  });
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
      const perMinute = await perMinuteOf(organisationId);
      const [allowed, wait] = await take({ key: `${prefix}:rate:${organisationId}`, perMinute });
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    },
  };
}
