import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from '@tamkeen/db';
import type { Request, Response } from 'express';
import { cookieOf } from '../pay/pay-kit.js';
import { citizenIssuer, IssuerUnavailable, LoginRefused, type CitizenIssuer, type CitizenLogin } from './citizen-issuer.js';

export type Lang = 'ar' | 'en';

/** What the issuer's return to the callback came to. Only the last one records anything. */
export type LoginFinish =
  | { outcome: 'unknown_state' }
  | { outcome: 'other_browser' }
  | { outcome: 'not_completed'; paymentId: string; lang: Lang; error: string }
  | { outcome: 'refused'; paymentId: string; lang: Lang; reason: string }
  | { outcome: 'unavailable'; paymentId: string; lang: Lang }
  | { outcome: 'logged_in'; paymentId: string; lang: Lang; login: CitizenLogin };

interface PendingLogin {
  paymentId: string;
  nonce: string;
  codeVerifier: string;
  lang: Lang;
  /** The hash of the browser cookie of the browser that started it. */
  browser: string;
}

export interface PayLoginOptions {
  issuer: CitizenIssuer;
  /** The issuer's name (CITIZEN_ISSUER): an `iss` in the answer must be it (RFC 9207). */
  issuerName: string;
  redis: Redis;
  /** Signs the proof of login cookies (the same for every instance). */
  proofKey: Buffer;
  secure: boolean;
  /** How long a login may take from the page to the callback. */
  ttlS?: number;
}

const RANDOM = /^[A-Za-z0-9_-]{43}$/;
const BROWSER_COOKIE = 'tamkeen_pay_browser';
const PROOF_COOKIE = 'tamkeen_pay_login';
export const CALLBACK_PATH = '/pay/login/callback';

const random = () => randomBytes(32).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const single = (value: unknown) => (typeof value === 'string' ? value : undefined);

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The login that a payment above its ministry's threshold needs, bound to the browser that
 * starts it. Starting keeps the login's state, nonce and PKCE verifier in Redis (single use, ten
 * minutes) under the hash of `state`, with the hash of a random HttpOnly cookie of this browser
 * (SameSite=Lax: sent on the issuer's redirect back); the callback is honoured only with that
 * cookie, so a callback link carrying someone else's code and state does nothing in another
 * browser. A login that succeeds sets a proof cookie for the payment's pages: an HMAC of the
 * payment id and the `sub` recorded as paid_by, so the browser proves it is the one that logged
 * in as the payer recorded now (a later login by someone else invalidates it).
 */
export function payLogin({ issuer, issuerName, redis, proofKey, secure, ttlS = 600 }: PayLoginOptions) {
  const keyOf = (state: string) => `tamkeen-payments:pay-login:${sha256(state)}`;
  const proofOf = (paymentId: string, sub: string) => createHmac('sha256', proofKey).update(`pay-login:${paymentId}:${sub}`).digest('base64url');

  return {
    /** Starts the login of `paymentId` in this browser: where to send it (the issuer). Throws IssuerUnavailable. */
    async start(req: Request, res: Response, paymentId: string, lang: Lang): Promise<string> {
      let browser = cookieOf(req, BROWSER_COOKIE);
      if (!browser || !RANDOM.test(browser)) browser = random();
      // Set again each time: it lives as long as the newest login it started.
      res.cookie(BROWSER_COOKIE, browser, { httpOnly: true, sameSite: 'lax', secure, path: CALLBACK_PATH, maxAge: ttlS * 1000 });
      const state = random();
      const pending: PendingLogin = { paymentId, nonce: random(), codeVerifier: random(), lang, browser: sha256(browser) };
      const url = await issuer.authorizationUrl({ state, nonce: pending.nonce, codeVerifier: pending.codeVerifier, lang });
      await redis.set(keyOf(state), JSON.stringify(pending), 'EX', ttlS);
      return url;
    },

    /** The issuer's answer at the callback: checked against the state this browser started, then the code redeemed and the ID token checked. */
    async finish(req: Request): Promise<LoginFinish> {
      const state = single(req.query.state);
      if (!state || !RANDOM.test(state)) return { outcome: 'unknown_state' };
      const stored = await redis.get(keyOf(state));
      if (!stored) return { outcome: 'unknown_state' };
      const pending = JSON.parse(stored) as PendingLogin;
      const browser = cookieOf(req, BROWSER_COOKIE);
      // Not consumed: the browser that started it can still finish it.
      if (!browser || !RANDOM.test(browser) || !equal(sha256(browser), pending.browser)) return { outcome: 'other_browser' };
      // Single use: of two racing callbacks, one gets it.
      if (!(await redis.getdel(keyOf(state)))) return { outcome: 'unknown_state' };
      const { paymentId, lang } = pending;
      const iss = single(req.query.iss);
      if (iss !== undefined && iss !== issuerName) return { outcome: 'refused', paymentId, lang, reason: 'issuer_mismatch' };
      const error = single(req.query.error);
      if (error !== undefined) return { outcome: 'not_completed', paymentId, lang, error: error.slice(0, 100) };
      const code = single(req.query.code);
      if (!code) return { outcome: 'refused', paymentId, lang, reason: 'no_code' };
      try {
        return { outcome: 'logged_in', paymentId, lang, login: await issuer.redeem({ code, codeVerifier: pending.codeVerifier, nonce: pending.nonce }) };
      } catch (failure) {
        if (failure instanceof LoginRefused) return { outcome: 'refused', paymentId, lang, reason: failure.reason };
        if (failure instanceof IssuerUnavailable) return { outcome: 'unavailable', paymentId, lang };
        throw failure;
      }
    },

    /** After paid_by was recorded: this browser's proof that it logged in as `sub` for the payment. */
    prove(res: Response, paymentId: string, sub: string): void {
      res.cookie(PROOF_COOKIE, proofOf(paymentId, sub), { httpOnly: true, sameSite: 'lax', secure, path: `/pay/${paymentId}`, maxAge: 2 * 3_600_000 });
    },

    /** Whether this browser logged in as the payment's recorded payer. */
    proven(req: Request, payment: { id: string; paidBy: string | null }): boolean {
      const proof = cookieOf(req, PROOF_COOKIE);
      return Boolean(payment.paidBy && proof && equal(proof, proofOf(payment.id, payment.paidBy)));
    },
  };
}

export type PayLogin = ReturnType<typeof payLogin>;

/** The payment page's login from the configuration, or undefined when it is not configured (CITIZEN_ISSUER and the three others unset). */
export function payLoginFromConfig(
  config: { CITIZEN_ISSUER?: string | undefined; CITIZEN_ISSUER_INTERNAL_URL?: string | undefined; PAY_LOGIN_CLIENT_ID?: string | undefined; PAY_LOGIN_CLIENT_SECRET?: string | undefined; PUBLIC_URL: string },
  redis: Redis,
): PayLogin | undefined {
  const { CITIZEN_ISSUER: issuerName, CITIZEN_ISSUER_INTERNAL_URL: internalUrl, PAY_LOGIN_CLIENT_ID: clientId, PAY_LOGIN_CLIENT_SECRET: clientSecret } = config;
  if (!issuerName || !internalUrl || !clientId || !clientSecret) return undefined;
  const issuer = citizenIssuer({ issuer: issuerName, internalUrl, clientId, clientSecret, redirectUri: `${config.PUBLIC_URL}${CALLBACK_PATH}` });
  // Derived, so the client secret itself never signs anything here.
  const proofKey = createHmac('sha256', clientSecret).update('tamkeen pay login proof key').digest();
  return payLogin({ issuer, issuerName, redis, proofKey, secure: config.PUBLIC_URL.startsWith('https:') });
}
