import { createHmac, timingSafeEqual } from 'node:crypto';
import { formBody } from '@tamkeen/http-kit';
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import { errorPage, type Lang, type MessageKey } from './pages.js';

/** A strict policy: nothing but the page's own stylesheet; no script, no frames, no plugins. */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Sends one of our pages with the headers every one of them carries. */
export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }).send(html);
}

/** The pages' forms: a few short fields each. */
export const pageForm = formBody('4kb');

/** A page that ends this attempt, saying why, with the language switch pointing back at `path`. */
export function refuse(res: Response, status: number, path: string, lang: Lang, message: MessageKey): void {
  sendPage(res, status, errorPage({ lang, switchHref: `${path}?lang=${lang === 'ar' ? 'en' : 'ar'}`, message }));
}

/** Arabic unless English is asked for (`?lang=en`, or the relying party's `ui_locales`). */
export function languageOf(req: Request, uiLocales?: unknown): Lang {
  const asked = typeof req.query.lang === 'string' ? req.query.lang : typeof uiLocales === 'string' ? uiLocales.split(' ')[0] : undefined;
  return asked?.startsWith('en') ? 'en' : 'ar';
}

/** CSRF tokens bound to one interaction: an HMAC of its uid, checked in constant time. */
export function csrfTokens(secret: string) {
  const tokenFor = (uid: string) => createHmac('sha256', secret).update(`csrf:${uid}`).digest('base64url');
  return {
    tokenFor,
    matches(uid: string, given: unknown): boolean {
      const a = Buffer.from(String(given ?? ''));
      const b = Buffer.from(tokenFor(uid));
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The interaction a page belongs to (its cookie checked by oidc-provider) and the page's language.
 * When the interaction is unknown or expired, the "expired" page is sent and undefined returned.
 */
export async function openInteraction(provider: Provider, req: Request, res: Response): Promise<{ details: Interaction; lang: Lang } | undefined> {
  try {
    const details = await provider.interactionDetails(req, res);
    return { details, lang: languageOf(req, details.params.ui_locales) };
  } catch {
    sendPage(res, 400, errorPage({ lang: languageOf(req), switchHref: req.path, message: 'expired' }));
    return undefined;
  }
}

/**
 * Ends an interaction with its result and sends the browser back to the authorization endpoint.
 * What oidc-provider's interactionFinished() does, on the interaction this request already opened
 * (interactionFinished would read it, and its session, from PostgreSQL a second time).
 */
export async function finishInteraction(details: Interaction, res: Response, result: Interaction['result']): Promise<void> {
  details.result = result;
  await details.save(details.exp - Math.floor(Date.now() / 1000));
  res.redirect(303, details.returnTo);
}

/** Ends the interaction with a logged-in account, at the level and by the factors shown. */
export function finishLogin(details: Interaction, res: Response, accountId: string, acr: string, amr: string[]) {
  return finishInteraction(details, res, { login: { accountId, acr, amr: [...new Set(amr)], remember: false } });
}
