import type { Redis } from '@tamkeen/db';
import { browserLogin, type BrowserLogin } from '../citizen-login/browser-login.js';
import { issuerClient, type IssuerLogin } from '../citizen-login/citizen-issuer.js';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import type { FinanceOfficer } from './finance-sessions.js';

export const FINANCE_CALLBACK_PATH = '/finance/login/callback';

/** The role identity gives the staff who keep the books (enterprise-users.ts ROLES). */
export const FINANCE_OFFICER_ROLE = 'finance_officer';

/**
 * The console's login at the enterprise issuer: the same OpenID Connect relying party as the
 * payment page's (issuerClient: code, PKCE S256, state, nonce, `acr_values=substantial`, the ID
 * token verified, its level at least substantial — staff always log in with their authenticator
 * app, so it says high), bound to the browser that starts it (browserLogin). It asks
 * `openid profile email` (organisation_id and roles come with openid on the enterprise issuer;
 * the name and e-mail address name the officer on the pages) and `prompt=login`: whoever uses the
 * console proves who they are then, even if someone else's issuer session is open in this
 * browser. The context is the console page to go back to.
 */
export type FinanceLogin = BrowserLogin<string>;

export interface FinanceLoginOptions {
  issuerName: string;
  internalUrl: string;
  clientId: string;
  clientSecret: string;
  publicUrl: string;
  redis: Redis;
  keyPrefix: string;
}

export function financeLogin({ issuerName, internalUrl, clientId, clientSecret, publicUrl, redis, keyPrefix }: FinanceLoginOptions): FinanceLogin {
  const issuer = issuerClient({
    issuer: issuerName,
    internalUrl,
    clientId,
    clientSecret,
    redirectUri: `${publicUrl}${FINANCE_CALLBACK_PATH}`,
    scope: 'openid profile email',
    prompt: 'login',
    names: { label: 'the enterprise issuer', issuerVariable: 'ENTERPRISE_ISSUER', internalUrlVariable: 'ENTERPRISE_ISSUER_INTERNAL_URL' },
  });
  return browserLogin<string>({ issuer, issuerName, redis, keyPrefix: `${keyPrefix}:login`, browserCookie: 'tamkeen_finance_browser', callbackPath: FINANCE_CALLBACK_PATH, secure: publicUrl.startsWith('https:') });
}

/** The finance console's login from the configuration, or undefined when it is not configured (the four variables unset). */
export function financeLoginFromConfig(
  config: { ENTERPRISE_ISSUER?: string | undefined; ENTERPRISE_ISSUER_INTERNAL_URL?: string | undefined; FINANCE_LOGIN_CLIENT_ID?: string | undefined; FINANCE_LOGIN_CLIENT_SECRET?: string | undefined; FINANCE_REDIS_PREFIX: string; PUBLIC_URL: string },
  redis: Redis,
): FinanceLogin | undefined {
  const { ENTERPRISE_ISSUER: issuerName, ENTERPRISE_ISSUER_INTERNAL_URL: internalUrl, FINANCE_LOGIN_CLIENT_ID: clientId, FINANCE_LOGIN_CLIENT_SECRET: clientSecret } = config;
  if (!issuerName || !internalUrl || !clientId || !clientSecret) return undefined;
  return financeLogin({ issuerName, internalUrl, clientId, clientSecret, publicUrl: config.PUBLIC_URL, redis, keyPrefix: config.FINANCE_REDIS_PREFIX });
}

/** Why a verified login may not use the console. */
export type NotForYou = 'not_finance_officer' | 'other_organisation';

/**
 * Whether the person the enterprise issuer vouched for keeps the platform's books: the ID token
 * must say the role `finance_officer` and the organisation `tamkeen` (a ministry's finance officer
 * has the role too, but not the platform's books). The officer as the session keeps them, or why not.
 */
export function financeOfficerOf(login: IssuerLogin, platformOrganisationId = PLATFORM_ORGANISATION_ID): { officer: FinanceOfficer } | { refused: NotForYou } {
  const { claims } = login;
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  if (claims.organisation_id !== platformOrganisationId) return { refused: 'other_organisation' };
  if (!roles.includes(FINANCE_OFFICER_ROLE)) return { refused: 'not_finance_officer' };
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : '');
  return {
    officer: {
      sub: login.sub,
      name: text(claims.name) || text(claims.email) || login.sub,
      email: text(claims.email),
      organisationId: platformOrganisationId,
      roles,
      acr: login.acr,
      amr: login.amr,
      authTime: login.authTime?.toISOString() ?? null,
    },
  };
}

/**
 * Where a login may send the browser back to: a console page of this origin (never the login's
 * own pages, never elsewhere); the dashboard otherwise.
 */
export function consolePath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 500 || /[\\\s]/.test(next) || !next.startsWith('/finance') || next.startsWith('//')) return '/finance';
  const base = 'http://console.invalid';
  const url = new URL(next, base);
  if (url.origin !== base || !(url.pathname === '/finance' || url.pathname.startsWith('/finance/')) || url.pathname.startsWith('/finance/login')) return '/finance';
  return `${url.pathname}${url.search}`;
}
