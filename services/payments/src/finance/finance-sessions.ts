import type { Redis } from '@tamkeen/db';
import type { Request, Response } from 'express';
import { equal, random, RANDOM, sha256 } from '../citizen-login/browser-login.js';
import { cookieOf } from '../pay/pay-kit.js';

/** A finance officer as the enterprise issuer's ID token named them at login. */
export interface FinanceOfficer {
  /** Their subject at the enterprise issuer: the actor of everything they do here. */
  sub: string;
  name: string;
  email: string;
  organisationId: string;
  roles: string[];
  acr: string;
  amr: string[];
  authTime: string | null;
}

export interface FinanceSession {
  officer: FinanceOfficer;
  /** The session's CSRF token, in every form (synchroniser token). */
  csrf: string;
  /** When the login was (ms since the epoch): no session outlives it by more than the maximum. */
  loggedInAt: number;
}

export const SESSION_COOKIE = 'tamkeen_finance';

export interface FinanceSessionsOptions {
  redis: Redis;
  /** What the keys start with (FINANCE_REDIS_PREFIX). */
  keyPrefix: string;
  secure: boolean;
  /** A session ends after this long without a request. */
  idleS: number;
  /** And this long after its login, in any case (a working day, as the enterprise issuer's own session). */
  maxS?: number;
  now?: () => number;
}

/**
 * The console's server-side sessions, in Redis (every instance sees them): a random id in an
 * HttpOnly cookie (Secure on https, SameSite=Lax, path /finance), kept in Redis under its hash (a
 * copy of Redis holds no usable cookie), ending after `idleS` without a request or `maxS` after
 * the login. A login always makes a new id and drops the one the browser had (no fixation).
 * Beside them, the officers who have logged in (sub → name, e-mail): how the pages name the
 * actors of an exception's history, and whom one may assign it to.
 */
export function financeSessions({ redis, keyPrefix, secure, idleS, maxS = 8 * 3_600, now = Date.now }: FinanceSessionsOptions) {
  const keyOf = (id: string) => `${keyPrefix}:session:${sha256(id)}`;
  const directory = `${keyPrefix}:officers`;
  const idOf = (req: Request) => {
    const id = cookieOf(req, SESSION_COOKIE);
    return id && RANDOM.test(id) ? id : undefined;
  };
  const clear = (res: Response) => res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/finance' });

  return {
    /** Logs `officer` in in this browser: a new session (the old one, if any, is ended). */
    async create(req: Request, res: Response, officer: FinanceOfficer): Promise<FinanceSession> {
      const old = idOf(req);
      if (old) await redis.del(keyOf(old));
      const id = random();
      const session: FinanceSession = { officer, csrf: random(), loggedInAt: now() };
      await redis.multi().set(keyOf(id), JSON.stringify(session), 'EX', Math.min(idleS, maxS)).hset(directory, officer.sub, JSON.stringify({ name: officer.name, email: officer.email })).exec();
      res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure, path: '/finance' });
      return session;
    },

    /** This browser's session, kept alive for another `idleS` (never past the maximum); undefined when it has none or it ended. */
    async read(req: Request, res: Response): Promise<FinanceSession | undefined> {
      const id = idOf(req);
      if (!id) return undefined;
      const stored = await redis.get(keyOf(id));
      if (!stored) {
        clear(res);
        return undefined;
      }
      const session = JSON.parse(stored) as FinanceSession;
      const left = Math.floor((session.loggedInAt + maxS * 1000 - now()) / 1000);
      if (left <= 0) {
        await redis.del(keyOf(id));
        clear(res);
        return undefined;
      }
      await redis.expire(keyOf(id), Math.min(idleS, left));
      return session;
    },

    /** Whether `given` is this session's CSRF token. */
    csrfMatches: (session: FinanceSession, given: unknown) => typeof given === 'string' && equal(given, session.csrf),

    /** Logs this browser out: its session is gone from Redis, its cookie cleared. */
    async destroy(req: Request, res: Response): Promise<void> {
      const id = idOf(req);
      if (id) await redis.del(keyOf(id));
      clear(res);
    },

    /** The officers who have logged in: sub → name and e-mail address. */
    async officers(): Promise<Map<string, { name: string; email: string }>> {
      const all = await redis.hgetall(directory);
      return new Map(Object.entries(all).map(([sub, json]) => [sub, JSON.parse(json) as { name: string; email: string }]));
    },
  };
}

export type FinanceSessions = ReturnType<typeof financeSessions>;
