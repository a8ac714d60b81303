import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Lang } from './pay-pages.js';

/**
 * The payment pages' policy: only their own stylesheet and script; the browser may talk to the PSP
 * (tokenising the card) and nothing else; forms go to this origin, or on to the PSP's 3-D Secure
 * page by redirect (Chromium checks form-action along the redirect).
 */
export function contentSecurityPolicy(pspOrigin: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ${pspOrigin}; form-action 'self' ${pspOrigin}; base-uri 'none'; frame-ancestors 'none'`;
}

export function sendPage(res: Response, status: number, html: string, csp: string): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }).send(html);
}

/** Arabic unless English is asked for (`?lang=en`). */
export function languageOf(req: Request): Lang {
  return typeof req.query.lang === 'string' && req.query.lang.startsWith('en') ? 'en' : 'ar';
}

const COOKIE = 'tamkeen_pay';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** The value of the request's cookie `name` (the first, if the browser sends several). */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * CSRF protection for the pay form, with no session: a random nonce in an HttpOnly, SameSite=Strict
 * cookie scoped to the payment's path, and in the form an HMAC of the payment id and that nonce
 * (signed double submit). Another site can neither read the token nor make the browser send the cookie.
 */
export function csrfGuard(key: Buffer, { secure }: { secure: boolean }) {
  const tokenOf = (paymentId: string, nonce: string) => createHmac('sha256', key).update(`pay-csrf:${paymentId}:${nonce}`).digest('base64url');
  return {
    /** The form's token, setting the cookie when the browser has none yet (a reload keeps it). */
    issue(req: Request, res: Response, paymentId: string): string {
      let nonce = cookieOf(req, COOKIE);
      if (!nonce || !NONCE.test(nonce)) {
        nonce = randomBytes(32).toString('base64url');
        res.cookie(COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure, path: `/pay/${paymentId}` });
      }
      return tokenOf(paymentId, nonce);
    },
    matches(req: Request, paymentId: string, given: unknown): boolean {
      const nonce = cookieOf(req, COOKIE);
      if (!nonce || !NONCE.test(nonce) || typeof given !== 'string') return false;
      const a = Buffer.from(given);
      const b = Buffer.from(tokenOf(paymentId, nonce));
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
