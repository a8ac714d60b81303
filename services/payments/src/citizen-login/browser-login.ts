import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from '@tamkeen/db';
import type { Request, Response } from 'express';
import { cookieOf } from '../pay/pay-kit.js';
import { IssuerUnavailable, LoginRefused, type IssuerClient, type IssuerLogin } from './citizen-issuer.js';

export type Lang = 'ar' | 'en';

/**
 * What the issuer's return to the callback came to, with what the login was started for
 * (`context`: a payment's id, the console page to go back to). Only `logged_in` is a login.
 */
export type BrowserLoginFinish<T> =
  | { outcome: 'unknown_state' }
  | { outcome: 'other_browser' }
  | { outcome: 'not_completed'; context: T; lang: Lang; error: string }
  | { outcome: 'refused'; context: T; lang: Lang; reason: string }
  | { outcome: 'unavailable'; context: T; lang: Lang }
  | { outcome: 'logged_in'; context: T; lang: Lang; login: IssuerLogin };

interface PendingLogin<T> {
  context: T;
  nonce: string;
  codeVerifier: string;
  lang: Lang;
  /** The hash of the browser cookie of the browser that started it. */
  browser: string;
}

export interface BrowserLoginOptions {
  issuer: IssuerClient;
  /** The issuer's name: an `iss` in the answer must be it (RFC 9207). */
  issuerName: string;
  redis: Redis;
  /** Where the pending logins are kept in Redis (`<prefix>:<hash of state>`). */
  keyPrefix: string;
  /** The browser cookie's name, and its path: the callback's. */
  browserCookie: string;
  callbackPath: string;
  secure: boolean;
  /** How long a login may take from the start to the callback. */
  ttlS?: number;
}

export const RANDOM = /^[A-Za-z0-9_-]{43}$/;

export const random = () => randomBytes(32).toString('base64url');
export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const single = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * An OpenID Connect login (issuerClient: code, PKCE, state, nonce) bound to the browser that
 * starts it. Starting keeps the login's state, nonce and PKCE verifier in Redis (single use, ten
 * minutes) under the hash of `state`, with the hash of a random HttpOnly cookie of this browser
 * (SameSite=Lax: sent on the issuer's redirect back); the callback is honoured only with that
 * cookie, so a callback link carrying someone else's code and state does nothing in another
 * browser. The payment page's citizen login and the finance console's staff login are both this.
 */
export function browserLogin<T>({ issuer, issuerName, redis, keyPrefix, browserCookie, callbackPath, secure, ttlS = 600 }: BrowserLoginOptions) {
  const keyOf = (state: string) => `${keyPrefix}:${sha256(state)}`;

  return {
    /** Starts a login in this browser for `context`: where to send it (the issuer). Throws IssuerUnavailable. */
    async start(req: Request, res: Response, context: T, lang: Lang): Promise<string> {
      let browser = cookieOf(req, browserCookie);
      if (!browser || !RANDOM.test(browser)) browser = random();
      // Set again each time: it lives as long as the newest login it started.
      res.cookie(browserCookie, browser, { httpOnly: true, sameSite: 'lax', secure, path: callbackPath, maxAge: ttlS * 1000 });
      const state = random();
      const pending: PendingLogin<T> = { context, nonce: random(), codeVerifier: random(), lang, browser: sha256(browser) };
      const url = await issuer.authorizationUrl({ state, nonce: pending.nonce, codeVerifier: pending.codeVerifier, lang });
      await redis.set(keyOf(state), JSON.stringify(pending), 'EX', ttlS);
      return url;
    },

    /** The issuer's answer at the callback: checked against the state this browser started, then the code redeemed and the ID token checked. */
    async finish(req: Request): Promise<BrowserLoginFinish<T>> {
      const state = single(req.query.state);
      if (!state || !RANDOM.test(state)) return { outcome: 'unknown_state' };
      const stored = await redis.get(keyOf(state));
      if (!stored) return { outcome: 'unknown_state' };
      const pending = JSON.parse(stored) as PendingLogin<T>;
      const browser = cookieOf(req, browserCookie);
      // Not consumed: the browser that started it can still finish it.
      if (!browser || !RANDOM.test(browser) || !equal(sha256(browser), pending.browser)) return { outcome: 'other_browser' };
      // Single use: of two racing callbacks, one gets it.
      if (!(await redis.getdel(keyOf(state)))) return { outcome: 'unknown_state' };
      const { context, lang } = pending;
      const iss = single(req.query.iss);
      if (iss !== undefined && iss !== issuerName) return { outcome: 'refused', context, lang, reason: 'issuer_mismatch' };
      const error = single(req.query.error);
      if (error !== undefined) return { outcome: 'not_completed', context, lang, error: error.slice(0, 100) };
      const code = single(req.query.code);
      if (!code) return { outcome: 'refused', context, lang, reason: 'no_code' };
      try {
        return { outcome: 'logged_in', context, lang, login: await issuer.redeem({ code, codeVerifier: pending.codeVerifier, nonce: pending.nonce }) };
      } catch (failure) {
        if (failure instanceof LoginRefused) return { outcome: 'refused', context, lang, reason: failure.reason };
        if (failure instanceof IssuerUnavailable) return { outcome: 'unavailable', context, lang };
        throw failure;
      }
    },
  };
}

export type BrowserLogin<T> = ReturnType<typeof browserLogin<T>>;
