import type { Redis, TokenBucket } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Response } from 'express';
import type Provider from 'oidc-provider';
import { normalisedEmail, staffApiScopes, type EnterpriseUsers } from '../accounts/enterprise-users.js';
import { passwordMatches, spendDecoyCheck } from '../accounts/password.js';
import type { Authenticators } from '../authenticators/authenticators.js';
import { authenticatorSteps, pendingSteps } from './authenticator-steps.js';
import { grantWhatWasAsked } from './consent.js';
import { csrfTokens, openInteraction, pageForm, refuse, sendPage } from './page-kit.js';
import { formPage, type Lang, type MessageKey } from './pages.js';

export interface EnterpriseLoginDeps {
  provider: Provider;
  users: EnterpriseUsers;
  authenticators: Authenticators;
  redis: Redis;
  redisPrefix: string;
  attempts: TokenBucket;
  secret: string;
  triesPerMinute: { perAccount: number; perAddress: number };
  logger: Logger;
}

/**
 * The enterprise issuer's pages, for the staff of ministries and businesses: e-mail address and
 * password, then the authenticator app, always (urn:tamkeen:loa:high); the app is linked at the
 * first login. What a staff member's access tokens may carry is limited by their roles.
 */
export function enterpriseLoginRoutes(router: IRouter, { provider, users, authenticators, redis, redisPrefix, attempts, secret, triesPerMinute, logger }: EnterpriseLoginDeps): void {
  const base = '/auth/enterprise/interaction';
  const csrf = csrfTokens(secret);
  const pending = pendingSteps(redis, `${redisPrefix}:enterprise`);

  const loginForm = (res: Response, status: number, uid: string, lang: Lang, error?: MessageKey, email?: string) =>
    sendPage(
      res,
      status,
      formPage({
        lang,
        title: 'staffLoginTitle',
        action: `${base}/${uid}/login?lang=${lang}`,
        switchHref: `${base}/${uid}?lang=${lang === 'ar' ? 'en' : 'ar'}`,
        csrf: csrf.tokenFor(uid),
        submit: 'submit',
        error,
        fields: [
          { name: 'email', label: 'email', type: 'email', autocomplete: 'username', value: email },
          { name: 'password', label: 'password', type: 'password', autocomplete: 'current-password' },
        ],
      }),
    );

  router.get(`${base}/:uid`, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    if (details.prompt.name === 'login') return loginForm(res, 200, details.uid, lang);
    // Consent: what was asked for, except API scopes the staff member's roles do not allow.
    const user = await users.byId(details.session!.accountId);
    if (!user || user.disabled) return refuse(res, 403, `${base}/${details.uid}`, lang, 'staffWrong');
    const client = await provider.Client.find(String(details.params.client_id));
    const allowed = staffApiScopes(user, (client as unknown as { organisation_id?: string } | undefined)?.organisation_id);
    await grantWhatWasAsked(provider, res, details, (scope) => allowed.has(scope));
  });

  router.post(`${base}/:uid/login`, pageForm, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const body = (req.body ?? {}) as Record<string, string>;
    // The password answers a login prompt only (a consent step is not a second chance to log in as someone else).
    if (details.prompt.name !== 'login') return refuse(res, 400, `${base}/${details.uid}`, lang, 'expired');
    const email = normalisedEmail(String(body.email ?? ''));
    if (!csrf.matches(details.uid, body.csrf)) return loginForm(res, 403, details.uid, lang, 'csrf', email);
    const [perAccount, perAddress] = await Promise.all([attempts.take(`staff-login:email:${email}`, triesPerMinute.perAccount), attempts.take(`staff-login:ip:${req.ip ?? 'unknown'}`, triesPerMinute.perAddress)]);
    if (!perAccount.allowed || !perAddress.allowed) return loginForm(res, 429, details.uid, lang, 'throttled', email);
    const user = email ? await users.byEmail(email) : undefined;
    const passwordOk = user && !user.disabled ? await passwordMatches(user.passwordHash, String(body.password ?? ''), (newHash) => users.replacePasswordHash(user.id, newHash)) : await spendDecoyCheck(String(body.password ?? ''));
    if (!user || !passwordOk) return loginForm(res, 401, details.uid, lang, 'staffWrong', email);
    // Always the app: linked now if this is the first login.
    await pending.save(details.uid, { accountId: user.id, amr: ['pwd'] });
    // The app's code page is the answer to this form (no redirect: one round trip fewer).
    if (await authenticators.has(user.id)) return appSteps.appCode(res, details, lang, user.id);
    res.redirect(303, `${base}/${details.uid}/app/setup?lang=${lang}`);
  });

  const appSteps = authenticatorSteps(router, {
    provider,
    base,
    authenticators,
    pending,
    secret,
    stepOf: (details) => pending.get(details.uid),
    // The first login links the app with the password the organisation's admin handed over.
    mayLink: () => undefined,
    labelOf: async (accountId) => (await users.byId(accountId))?.email,
    setupIntro: 'staffSetupIntro',
    onLinked: (accountId) => logger.info({ user: accountId }, 'a staff member linked an authenticator app'),
  });
}
