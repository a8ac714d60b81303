import type { Redis, TokenBucket } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Authenticators } from '../authenticators/authenticators.js';
import { passwordMatches, spendDecoyCheck } from '../accounts/password.js';
import type { CitizenAccount, CitizenAccounts } from '../accounts/citizen-accounts.js';
import { parseNationalId, westernDigits } from '@tamkeen/citizen-input';
import { RegisterUnavailable, type RegistryClient } from '../registry/registry-client.js';
import { LOA, rankOf, requiredAcr, sessionSteppingUp } from '../oidc/assurance.js';
import type { CodeSender } from '../one-time-codes/code-sender.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import { grantWhatWasAsked, thirdPartyConsent } from './consent.js';
import { csrfTokens, finishLogin, openInteraction, pageForm, refuse as refusePage, sendPage } from './page-kit.js';
import { authenticatorSteps, pendingSteps, type SecondFactorStep } from './authenticator-steps.js';
import { CODE_CHANNELS, codeDestination, codeSteps, firstCodeChannel } from './code-steps.js';
import { enrolmentExtrasHref } from './enrolment-context.js';
import { loginPage, STYLESHEET, type Lang, type MessageKey } from './pages.js';


/** How long a login may go on trusting the register's last word when the register cannot be reached. */
const REGISTER_GRACE_MS = 24 * 60 * 60 * 1000;

export interface CitizenLoginDeps {
  provider: Provider;
  codes: OneTimeCodes;
  codeSender: CodeSender;
  authenticators: Authenticators;
  /** Where a login waiting for its second factor is remembered (ten minutes). */
  redis: Redis;
  /** Keeps these keys apart from other deployments' in a shared Redis. */
  redisPrefix: string;
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
 * The citizen issuer's own pages (oidc-provider's interactions). Levels: national ID number and
 * password give urn:tamkeen:loa:low; plus a code by SMS or e-mail (code-steps.ts), substantial;
 * password plus a code from an authenticator app, high (SMS and e-mail never reach high). The
 * second factor is asked only when the relying party wants more than low, and a session stepping
 * up is asked only for what it lacks. When high is asked of a citizen with no authenticator app,
 * the SMS code comes first, then the app is linked (QR code) and its first code completes the
 * login at high.
 * Every login asks the register whether the person is alive and the card valid. If the register
 * cannot be reached, a login goes on only when the register confirmed this person within the last
 * 24 hours; otherwise the page says to try later.
 */
export function citizenLoginRoutes(router: IRouter, { provider, codes, codeSender, authenticators, redis, redisPrefix, accounts, registry, attempts, secret, triesPerMinute, logger }: CitizenLoginDeps): void {
  const base = '/auth/citizen/interaction';
  const csrf = csrfTokens(secret);
  const showConsent = thirdPartyConsent(router, { provider, base, secret });
  const pending = pendingSteps(redis, redisPrefix);
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
  const refuse = (res: Response, status: number, uid: string, lang: Lang, message: MessageKey) => refusePage(res, status, `${base}/${uid}`, lang, message);

  /** Where the second factor is asked: the authenticator app when the citizen has one, else a code by SMS (by e-mail without a phone). */
  const secondFactorHref = async (uid: string, lang: Lang, account: CitizenAccount | undefined) =>
    `${base}/${uid}/${account && (await authenticators.has(account.id)) ? 'app' : CODE_CHANNELS[firstCodeChannel(account)].page}?lang=${lang}`;

  router.get('/auth/static/tamkeen.css', (_req, res) => {
    res.set({ 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }).send(STYLESHEET);
  });

  router.get(`${base}/:uid`, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const steppingUp = sessionSteppingUp(details);
    if (steppingUp) {
      // Already logged in, at a lower level: only the missing factor is asked for.
      return res.redirect(303, await secondFactorHref(details.uid, lang, await accounts.byId(steppingUp)));
    }
    if (details.prompt.name === 'login') {
      return sendPage(res, 200, loginPage({ lang, action: `${base}/${details.uid}/login?lang=${lang}`, switchHref: switchHref(details.uid, lang), csrf: csrf.tokenFor(details.uid), enrolHref: `${base}/${details.uid}/enrol?lang=${lang}` }));
    }
    if (details.prompt.name === 'consent' && (await showConsent(res, details, lang))) return;
    await grantWhatWasAsked(provider, res, details);
  });

  router.post(`${base}/:uid/login`, pageForm, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const body = (req.body ?? {}) as Record<string, string>;
    // The password answers a login prompt only (a consent step is not a second chance to log in as someone else).
    if (details.prompt.name !== 'login') return refuse(res, 400, details.uid, lang, 'expired');
    const typed = String(body.national_id ?? '');
    const parsed = parseNationalId(typed);
    // A valid number as the register writes it; anything else as typed (the form shows it again).
    const nationalId = parsed.ok ? parsed.nationalId : westernDigits(typed).trim();
    const again = (status: number, error: MessageKey) =>
      sendPage(res, status, loginPage({ lang, action: `${base}/${details.uid}/login?lang=${lang}`, switchHref: switchHref(details.uid, lang), csrf: csrf.tokenFor(details.uid), error, nationalId }));
    if (!csrf.matches(details.uid, body.csrf)) return again(403, 'csrf');

    // Guessing is throttled per account and per address.
    const [perAccount, perAddress] = await Promise.all([attempts.take(`login:id:${nationalId}`, triesPerMinute.perAccount), attempts.take(`login:ip:${req.ip ?? 'unknown'}`, triesPerMinute.perAddress)]);
    if (!perAccount.allowed || !perAddress.allowed) return again(429, 'throttled');

    const account = parsed.ok ? await accounts.byNationalId(parsed.nationalId) : undefined;
    const passwordOk = account ? await passwordMatches(account.passwordHash, String(body.password ?? ''), (newHash) => accounts.replacePasswordHash(account.id, newHash)) : await spendDecoyCheck(String(body.password ?? ''));
    if (!account || !passwordOk) return again(401, 'wrong');

    try {
      const person = await registry.citizen(account.nationalId);
      if (!person) return refuse(res, 403, details.uid, lang, 'unknown');
      if (person.status === 'deceased') return refuse(res, 403, details.uid, lang, 'deceased');
      if (person.card_status === 'revoked') return refuse(res, 403, details.uid, lang, 'revoked');
      await accounts.registerConfirmed(account, { nameAr: person.name.ar, nameEn: person.name.en, birthdate: person.date_of_birth });
    } catch (error) {
      if (!(error instanceof RegisterUnavailable)) throw error;
      const recent = account.registerCheckedAt && Date.now() - account.registerCheckedAt.getTime() < REGISTER_GRACE_MS;
      logger.warn({ reason: error.message, account: account.id, allowed: Boolean(recent) }, 'the register could not be asked at login');
      if (!recent) return refuse(res, 503, details.uid, lang, 'registerDown');
    }
    // More than the password was asked for: the second factor, which finishes the login.
    if (rank(details.params) > rankOf(LOA.low)) {
      await pending.save(details.uid, { accountId: account.id, amr: ['pwd'] });
      // The second factor's page is the answer to this form (no redirect): one round trip fewer.
      if (await authenticators.has(account.id)) return appSteps.appCode(res, details, lang, account.id);
      return codeStepsOfLogin.firstCode(res, details, lang, account);
    }
    await finishLogin(details, res, account.id, LOA.low, ['pwd']);
  });

  /** Whose login the code step completes, and the factors already shown: a session stepping up, or a password just checked. */
  async function codeStepOf(details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<SecondFactorStep | undefined> {
    const saved = await pending.get(details.uid);
    if (saved) return saved;
    const steppingUp = sessionSteppingUp(details);
    // The session's password stands; its second factors are asked again.
    return steppingUp ? { accountId: steppingUp, amr: ((details.session as { amr?: string[] }).amr ?? ['pwd']).filter((m) => m === 'pwd') } : undefined;
  }

  const codeStepsOfLogin = codeSteps(router, { provider, base, accounts, codes, codeSender, authenticators, pending, secret, stepOf: codeStepOf, rankAsked: (details) => rank(details.params), logger });

  // The authenticator app: its code at login, and linking one (after this login's SMS code).
  const appSteps = authenticatorSteps(router, {
    provider,
    base,
    authenticators,
    pending,
    secret,
    stepOf: codeStepOf,
    mayLink: (step) => (step.amr.includes('sms') ? undefined : 'setupNeedsCode'),
    labelOf: async (accountId) => (await accounts.byId(accountId))?.nameEn,
    // A code by SMS (or by e-mail, without a phone) instead, when substantial is all the relying party needs.
    async alternative(details, lang, accountId) {
      if (rank(details.params) >= rankOf(LOA.high)) return undefined;
      const account = await accounts.byId(accountId);
      if (!account) return undefined;
      const channel = firstCodeChannel(account);
      if (!codeDestination(account, channel)) return undefined;
      return { href: `${base}/${details.uid}/${CODE_CHANNELS[channel].page}?lang=${lang}`, label: channel === 'sms' ? 'useSmsInstead' : 'useEmailInstead' };
    },
    // At the end of an enrolment the app is offered, and the enrolment's last page ends the login.
    linkingOffered: (details, lang, step) => (step.enrolling ? { intro: 'setupIntroOffered', offeredAt: enrolmentExtrasHref(details.uid, lang) } : undefined),
    onLinked: (accountId) => logger.info({ account: accountId }, 'an authenticator app was linked'),
  });
}
