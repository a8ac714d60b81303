import { batched } from './batched.js';
import type { Redis } from './redis.js';

// A token bucket per key, kept in Redis so that every instance of a service shares it. Redis's own
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

export type Turn = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface TokenBucket {
  /** Takes one turn from `key`'s bucket, which holds `perMinute` and refills evenly over a minute. */
  take(key: string, perMinute: number): Promise<Turn>;
}

type Pipeline = Record<string, (key: string, capacity: number, perMs: number) => unknown> & { exec(): Promise<Array<[Error | null, unknown]> | null> };

/** Rate limits in Redis: `prefix` keeps a service's buckets apart from others' (`<prefix>:rate:<key>`). */
export function tokenBucket(redis: Redis, prefix: string): TokenBucket {
  // Loaded once and then called by its SHA (EVALSHA): the script is not sent with every take.
  if (!('tamkeenTakeToken' in redis)) redis.defineCommand('tamkeenTakeToken', { numberOfKeys: 1, lua: TAKE });
  // Takes that arrive together go in one pipeline: one round trip to Redis.
  const take = batched(async (takes: ReadonlyArray<{ key: string; perMinute: number }>) => {
    const pipeline = redis.pipeline() as unknown as Pipeline;
    for (const { key, perMinute } of takes) pipeline.tamkeenTakeToken!(`${prefix}:rate:${key}`, perMinute, perMinute / 60_000);
    const results = (await pipeline.exec()) ?? [];
    return takes.map((_, i): Turn => {
      const [error, answer] = results[i] ?? [new Error('Redis gave no answer to a rate-limit take'), undefined];
      if (error) throw error;
      const [allowed, wait] = answer as [number, number];
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    });
  });
  return { take: (key, perMinute) => take({ key, perMinute }) };
}
