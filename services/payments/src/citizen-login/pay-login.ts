import { createHmac } from 'node:crypto';
import type { Redis } from '@tamkeen/db';
import type { Request, Response } from 'express';
import { cookieOf } from '../pay/pay-kit.js';
import { browserLogin, equal, type Lang } from './browser-login.js';
import { citizenIssuer, type CitizenIssuer, type CitizenLogin } from './citizen-issuer.js';

export type { Lang } from './browser-login.js';

/** What the issuer's return to the callback came to. Only the last one records anything. */
export type LoginFinish =
  | { outcome: 'unknown_state' }
  | { outcome: 'other_browser' }
  | { outcome: 'not_completed'; paymentId: string; lang: Lang; error: string }
  | { outcome: 'refused'; paymentId: string; lang: Lang; reason: string }
  | { outcome: 'unavailable'; paymentId: string; lang: Lang }
  | { outcome: 'logged_in'; paymentId: string; lang: Lang; login: CitizenLogin };

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

const BROWSER_COOKIE = 'tamkeen_pay_browser';
const PROOF_COOKIE = 'tamkeen_pay_login';
export const CALLBACK_PATH = '/pay/login/callback';

/**
 * The login that a payment above its ministry's threshold needs, bound to the browser that
 * starts it (browser-login.ts: state, nonce and PKCE verifier in Redis, single use, ten minutes,
 * honoured only in the browser that started it). A login that succeeds sets a proof cookie for
 * the payment's pages: an HMAC of the payment id and the `sub` recorded as paid_by, so the browser
 * proves it is the one that logged in as the payer recorded now (a later login by someone else
 * invalidates it).
 */
export function payLogin({ issuer, issuerName, redis, proofKey, secure, ttlS = 600 }: PayLoginOptions) {
  const login = browserLogin<string>({ issuer, issuerName, redis, keyPrefix: 'tamkeen-payments:pay-login', browserCookie: BROWSER_COOKIE, callbackPath: CALLBACK_PATH, secure, ttlS });
  const proofOf = (paymentId: string, sub: string) => createHmac('sha256', proofKey).update(`pay-login:${paymentId}:${sub}`).digest('base64url');

  return {
    /** Starts the login of `paymentId` in this browser: where to send it (the issuer). Throws IssuerUnavailable. */
    start: (req: Request, res: Response, paymentId: string, lang: Lang): Promise<string> => login.start(req, res, paymentId, lang),

    /** The issuer's answer at the callback: checked against the state this browser started, then the code redeemed and the ID token checked. */
    async finish(req: Request): Promise<LoginFinish> {
      const finished = await login.finish(req);
      if (finished.outcome === 'unknown_state' || finished.outcome === 'other_browser') return finished;
      const { context: paymentId, ...rest } = finished;
      return { ...rest, paymentId };
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
