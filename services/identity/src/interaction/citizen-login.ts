import type { Redis, TokenBucket } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import express, { type IRouter, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { passwordMatches, spendDecoyCheck } from '../accounts/password.js';
import type { CitizenAccounts } from '../accounts/citizen-accounts.js';
import { westernDigits } from '@tamkeen/citizen-input';
import { RegisterUnavailable, type RegistryClient } from '../registry/registry-client.js';
import { LOA, rankOf, requiredAcr } from '../oidc/assurance.js';
import { CodeNotSent, type CodeSender } from '../one-time-codes/code-sender.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import { csrfTokens, openInteraction, sendPage } from './page-kit.js';
import { codePage, errorPage, loginPage, STYLESHEET, type Lang, type MessageKey } from './pages.js';


/** How long a login may go on trusting the register's last word when the register cannot be reached. */
const REGISTER_GRACE_MS = 24 * 60 * 60 * 1000;

export interface CitizenLoginDeps {
  provider: Provider;
  codes: OneTimeCodes;
  codeSender: CodeSender;
  /** Where a login waiting for its second factor is remembered (ten minutes). */
  redis: Redis;
  accounts: CitizenAccounts;
  registry: RegistryClient;
  attempts: TokenBucket;
  /** The first cookie key: CSRF tokens are HMACs of the interaction with it. */
  secret: string;
  /** Password tries allowed per minute. */
  triesPerMinute: { perAccount: number; perAddress: number };
  logger: Logger;
}

/**
 * The citizen issuer's own pages (oidc-provider's interactions): login with national ID number and
 * password, which gives urn:tamkeen:loa:low. Every login asks the register whether the person is
 * alive and the card valid. If the register cannot be reached, a login goes on only when the
 * register confirmed this person within the last 24 hours; otherwise the page says to try later.
 */
export function citizenLoginRoutes(router: IRouter, { provider, codes, codeSender, redis, accounts, registry, attempts, secret, triesPerMinute, logger }: CitizenLoginDeps): void {
  const base = '/auth/citizen/interaction';
  const csrf = csrfTokens(secret);
  const pendingKey = (uid: string) => `tamkeen-identity:second-factor:${uid}`;
  /** The level the relying party asked for, as a rank (-1: none). */
  const rank = (params: Record<string, unknown>) => {
    let claims;
    try {
      claims = typeof params.claims === 'string' ? (JSON.parse(params.claims) as Parameters<typeof requiredAcr>[1]) : undefined;
    } catch {
      claims = undefined;
    }
    return rankOf(requiredAcr(params, claims));
  };
  const switchHref = (uid: string, lang: Lang) => `${base}/${uid}?lang=${lang === 'ar' ? 'en' : 'ar'}`;
  /** A page that ends this attempt, saying why. */
  const refuse = (res: Response, status: number, uid: string, lang: Lang, message: MessageKey) => sendPage(res, status, errorPage({ lang, switchHref: switchHref(uid, lang), message }));
  /** The code step's page, with a notice or an error when there is one. */
  const codeStep = (res: Response, status: number, uid: string, lang: Lang, phone: string, error?: MessageKey) =>
    sendPage(
      res,
      status,
      codePage({ lang, action: `${base}/${uid}/code?lang=${lang}`, resendAction: `${base}/${uid}/resend?lang=${lang}`, switchHref: `${base}/${uid}/code?lang=${lang === 'ar' ? 'en' : 'ar'}`, csrf: csrf.tokenFor(uid), phone, error }),
    );

  router.get('/auth/static/tamkeen.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(STYLESHEET);
  });

  router.get(`${base}/:uid`, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    if (details.prompt.name === 'login' && details.prompt.reasons.includes('acr_step_up') && details.session?.accountId) {
      // Already logged in, at a lower level: only the missing factor is asked for.
      return res.redirect(303, `${base}/${details.uid}/code?lang=${lang}`);
    }
    if (details.prompt.name === 'login') {
      return sendPage(res, 200, loginPage({ lang, action: `${base}/${details.uid}/login?lang=${lang}`, switchHref: switchHref(details.uid, lang), csrf: csrf.tokenFor(details.uid), enrolHref: `${base}/${details.uid}/enrol?lang=${lang}` }));
    }
    // Consent: the relying parties are government services registered by their ministries; what
    // they asked for is granted (a consent page comes with third-party clients).
    const { prompt, params, session, grantId } = details;
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string });
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant!.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(req, res, { consent: { grantId: await grant!.save() } }, { mergeWithLastSubmission: true });
  });

  router.post(`${base}/:uid/login`, express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const body = (req.body ?? {}) as Record<string, string>;
    const nationalId = westernDigits(String(body.national_id ?? '')).replace(/[\s-]/g, '');
    const again = (status: number, error: MessageKey) =>
      sendPage(res, status, loginPage({ lang, action: `${base}/${details.uid}/login?lang=${lang}`, switchHref: switchHref(details.uid, lang), csrf: csrf.tokenFor(details.uid), error, nationalId }));
    if (!csrf.matches(details.uid, body.csrf)) return again(403, 'csrf');

    // Guessing is throttled per account and per address.
    const [perAccount, perAddress] = await Promise.all([attempts.take(`login:id:${nationalId}`, triesPerMinute.perAccount), attempts.take(`login:ip:${req.ip ?? 'unknown'}`, triesPerMinute.perAddress)]);
    if (!perAccount.allowed || !perAddress.allowed) return again(429, 'throttled');

    const account = /^[0-9]{9}$/.test(nationalId) ? await accounts.byNationalId(nationalId) : undefined;
    const passwordOk = account ? await passwordMatches(account.passwordHash, String(body.password ?? '')) : await spendDecoyCheck(String(body.password ?? ''));
    if (!account || !passwordOk) return again(401, 'wrong');

    try {
      const person = await registry.citizen(account.nationalId);
      if (!person) return refuse(res, 403, details.uid, lang, 'unknown');
      if (person.status === 'deceased') return refuse(res, 403, details.uid, lang, 'deceased');
      if (person.card_status === 'revoked') return refuse(res, 403, details.uid, lang, 'revoked');
      await accounts.registerConfirmed(account.id, { nameAr: person.name.ar, nameEn: person.name.en, birthdate: person.date_of_birth });
    } catch (error) {
      if (!(error instanceof RegisterUnavailable)) throw error;
      const recent = account.registerCheckedAt && Date.now() - account.registerCheckedAt.getTime() < REGISTER_GRACE_MS;
      logger.warn({ reason: error.message, account: account.id, allowed: Boolean(recent) }, 'the register could not be asked at login');
      if (!recent) return refuse(res, 503, details.uid, lang, 'registerDown');
    }
    // More than the password was asked for: the code step, which finishes the login.
    if (rank(details.params) > rankOf(LOA.low)) {
      await redis.set(pendingKey(details.uid), JSON.stringify({ accountId: account.id, amr: ['pwd'] }), 'EX', 600);
      return res.redirect(303, `${base}/${details.uid}/code?lang=${lang}`);
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.id, acr: LOA.low, amr: ['pwd'], remember: false } }, { mergeWithLastSubmission: false });
  });

  /** Whose login the code step completes, and the factors already shown: a session stepping up, or a password just checked. */
  async function codeStepOf(details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<{ accountId: string; amr: string[] } | undefined> {
    const pending = await redis.get(pendingKey(details.uid));
    if (pending) return JSON.parse(pending) as { accountId: string; amr: string[] };
    if (details.prompt.name === 'login' && details.prompt.reasons.includes('acr_step_up') && details.session?.accountId) {
      return { accountId: details.session.accountId, amr: ((details.session as { amr?: string[] }).amr ?? ['pwd']).filter((m) => m !== 'sms') };
    }
    return undefined;
  }

  async function showCode(req: Request, res: Response, resend: boolean) {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const fail = (status: number, message: MessageKey) => refuse(res, status, details.uid, lang, message);
    if (resend && !csrf.matches(details.uid, (req.body as Record<string, string> | undefined)?.csrf)) return fail(403, 'csrf');
    const step = await codeStepOf(details);
    if (!step) return fail(400, 'expired');
    const account = await accounts.byId(step.accountId);
    if (!account?.phoneNumber || !account.phoneNumberVerified) return fail(409, 'noPhone');
    const issued = await codes.issue(account.id, 'login', 'sms');
    let notice: MessageKey | undefined;
    if (issued.issued) {
      try {
        await codeSender.sendSms(account.phoneNumber, issued.code, lang);
      } catch (error) {
        if (!(error instanceof CodeNotSent)) throw error;
        logger.warn({ reason: error.message, account: account.id }, 'a login code could not be sent');
        return fail(503, 'codeNotSent');
      }
    } else if (issued.reason === 'locked') {
      return fail(429, 'locked');
    } else if (resend) {
      notice = 'tooSoon';
    }
    codeStep(res, 200, details.uid, lang, account.phoneNumber, notice);
  }

  router.get(`${base}/:uid/code`, (req, res) => showCode(req, res, false));
  router.post(`${base}/:uid/resend`, express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 }), (req, res) => showCode(req, res, true));

  router.post(`${base}/:uid/code`, express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 }), async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const body = (req.body ?? {}) as Record<string, string>;
    const fail = (status: number, message: MessageKey) => refuse(res, status, details.uid, lang, message);
    if (!csrf.matches(details.uid, body.csrf)) return fail(403, 'csrf');
    const step = await codeStepOf(details);
    if (!step) return fail(400, 'expired');
    const account = await accounts.byId(step.accountId);
    if (!account?.phoneNumber) return fail(409, 'noPhone');
    const checked = await codes.check(account.id, 'login', westernDigits(String(body.code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return fail(429, 'locked');
      const error: MessageKey = checked.reason === 'wrong' ? 'codeWrong' : 'codeExpired';
      return codeStep(res, 400, details.uid, lang, account.phoneNumber, error);
    }
    await redis.del(pendingKey(details.uid));
    // Password and an SMS code: substantial (SMS never reaches high).
    const amr = [...new Set([...step.amr, 'sms'])];
    await provider.interactionFinished(req, res, { login: { accountId: account.id, acr: LOA.substantial, amr, remember: false } }, { mergeWithLastSubmission: false });
  });
}
