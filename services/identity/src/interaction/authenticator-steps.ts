import type { Redis } from '@tamkeen/db';
import { westernDigits } from '@tamkeen/citizen-input';
import type { IRouter, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import QRCode from 'qrcode';
import type { Authenticators } from '../authenticators/authenticators.js';
import { LOA } from '../oidc/assurance.js';
import { csrfTokens, finishLogin, openInteraction, pageForm, refuse, sendPage } from './page-kit.js';
import { appCodePage, authenticatorSetupPage, type Lang, type Link, type MessageKey } from './pages.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A login between its password and its second factor: whose, and the factors shown so far (RFC 8176 `amr`). */
export interface SecondFactorStep {
  accountId: string;
  amr: string[];
  /** The login that ends an enrolment: its extra factors (an e-mail address, an app) are offered, not needed. */
  enrolling?: boolean;
}

/** Logins waiting for their second factor, in Redis for ten minutes, by interaction. */
export function pendingSteps(redis: Redis, prefix: string) {
  const key = (uid: string) => `${prefix}:second-factor:${uid}`;
  return {
    save: (uid: string, step: SecondFactorStep) => redis.set(key(uid), JSON.stringify(step), 'EX', 600),
    async get(uid: string): Promise<SecondFactorStep | undefined> {
      const saved = await redis.get(key(uid));
      return saved ? (JSON.parse(saved) as SecondFactorStep) : undefined;
    },
    clear: (uid: string) => redis.del(key(uid)),
  };
}

export type PendingSteps = ReturnType<typeof pendingSteps>;

export interface AuthenticatorStepsDeps {
  provider: Provider;
  /** The issuer's interaction path: /auth/<issuer>/interaction. */
  base: string;
  authenticators: Authenticators;
  pending: PendingSteps;
  /** The first cookie key (CSRF tokens). */
  secret: string;
  /** Whose login the app code completes: a pending login, or a session stepping up. */
  stepOf(details: Interaction): Promise<SecondFactorStep | undefined>;
  /** Why this login may not link a new app (undefined: it may). */
  mayLink(step: SecondFactorStep): MessageKey | undefined;
  /** The name the app lists the account under. */
  labelOf(accountId: string): Promise<string | undefined>;
  /** A code another way instead (SMS, e-mail), when the relying party accepts it. */
  alternative?(details: Interaction, lang: Lang, accountId: string): Promise<Link | undefined>;
  /**
   * When linking an app is offered rather than needed (at the end of an enrolment): what the set-up
   * page says, and the page that offered it, where "not now" leads and where the login goes on
   * once the app is linked (instead of back to the relying party).
   */
  linkingOffered?(details: Interaction, lang: Lang, step: SecondFactorStep): { intro: MessageKey; offeredAt: string } | undefined;
  onLinked?(accountId: string): void;
  /** Why an app is being linked, said above the QR code. */
  setupIntro?: MessageKey;
}

/**
 * The authenticator-app steps of a login, the same for citizens and enterprise staff: the app's
 * code (password + app: urn:tamkeen:loa:high), and linking an app (a QR code as inline SVG, so
 * the strict Content-Security-Policy holds, the key to type in, and the app's first code).
 */
export function authenticatorSteps(router: IRouter, { provider, base, authenticators, pending, secret, stepOf, mayLink, labelOf, alternative, linkingOffered, onLinked, setupIntro }: AuthenticatorStepsDeps) {
  const csrf = csrfTokens(secret);

  const appStep = async (res: Response, status: number, details: Interaction, lang: Lang, accountId: string, error?: MessageKey) =>
    sendPage(
      res,
      status,
      appCodePage({
        lang,
        action: `${base}/${details.uid}/app?lang=${lang}`,
        switchHref: `${base}/${details.uid}/app?lang=${lang === 'ar' ? 'en' : 'ar'}`,
        csrf: csrf.tokenFor(details.uid),
        alternative: await alternative?.(details, lang, accountId),
        error,
      }),
    );

  router.get(`${base}/:uid/app`, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const path = `${base}/${details.uid}/app`;
    const step = await stepOf(details);
    if (!step) return refuse(res, 400, path, lang, 'expired');
    if (!(await authenticators.has(step.accountId))) return refuse(res, 409, path, lang, 'noAuthenticator');
    await appStep(res, 200, details, lang, step.accountId);
  });

  router.post(`${base}/:uid/app`, pageForm, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const path = `${base}/${details.uid}/app`;
    const body = (req.body ?? {}) as Record<string, string>;
    if (!csrf.matches(details.uid, body.csrf)) return refuse(res, 403, path, lang, 'csrf');
    const step = await stepOf(details);
    if (!step) return refuse(res, 400, path, lang, 'expired');
    const checked = await authenticators.check(step.accountId, westernDigits(String(body.code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return refuse(res, 429, path, lang, 'locked');
      if (checked.reason === 'none') return refuse(res, 409, path, lang, 'noAuthenticator');
      return appStep(res, 400, details, lang, step.accountId, 'appCodeWrong');
    }
    await pending.clear(details.uid);
    // The password and the authenticator app: high.
    await finishLogin(details, res, step.accountId, LOA.high, [...step.amr, 'otp']);
  });

  /** Linking an app belongs to a login in progress (a pending step), never to a bare session. */
  async function linkingStepOf(req: Request, res: Response) {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return undefined;
    const { details, lang } = opened;
    const path = `${base}/${details.uid}/app/setup`;
    const step = await pending.get(details.uid);
    if (!step) return void refuse(res, 400, path, lang, 'expired');
    const refused = mayLink(step);
    if (refused) return void refuse(res, 403, path, lang, refused);
    // Linking never replaces an app: a password (and a phone) must not be enough to take over the highest level.
    if (await authenticators.has(step.accountId)) return void refuse(res, 409, path, lang, 'appAlreadyLinked');
    return { details, lang, step, path };
  }

  const setupStep = async (res: Response, status: number, c: NonNullable<Awaited<ReturnType<typeof linkingStepOf>>>, error?: MessageKey) => {
    const label = (await labelOf(c.step.accountId)) ?? 'Tamkeen';
    // The interaction is the login attempt the pending app belongs to.
    const { secret: key, uri } = await authenticators.pending(c.step.accountId, label, c.details.uid);
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    const uid = c.details.uid;
    const offered = linkingOffered?.(c.details, c.lang, c.step);
    sendPage(
      res,
      status,
      authenticatorSetupPage({
        lang: c.lang,
        action: `${c.path}?lang=${c.lang}`,
        switchHref: `${c.path}?lang=${c.lang === 'ar' ? 'en' : 'ar'}`,
        csrf: csrf.tokenFor(uid),
        qrSvg,
        secret: key,
        intro: offered?.intro ?? setupIntro,
        error,
        links: offered && [{ href: offered.offeredAt, label: 'notNow' }],
      }),
    );
  };

  router.get(`${base}/:uid/app/setup`, async (req, res) => {
    const c = await linkingStepOf(req, res);
    if (c) await setupStep(res, 200, c);
  });

  router.post(`${base}/:uid/app/setup`, pageForm, async (req, res) => {
    const c = await linkingStepOf(req, res);
    if (!c) return;
    const body = (req.body ?? {}) as Record<string, string>;
    if (!csrf.matches(c.details.uid, body.csrf)) return refuse(res, 403, c.path, c.lang, 'csrf');
    const confirmed = await authenticators.confirm(c.step.accountId, westernDigits(String(body.code ?? '')), c.details.uid);
    if (!confirmed.ok) {
      if (confirmed.reason === 'locked') return refuse(res, 429, c.path, c.lang, 'locked');
      if (confirmed.reason === 'none') return refuse(res, 400, c.path, c.lang, 'expired');
      return setupStep(res, 400, c, 'appCodeWrong');
    }
    onLinked?.(c.step.accountId);
    // The factors of this login so far and the new app's first code.
    const amr = [...c.step.amr, 'otp'];
    const offered = linkingOffered?.(c.details, c.lang, c.step);
    if (offered) {
      // Back to the page that offered it; the login ends there, at the level these factors give.
      await pending.save(c.details.uid, { ...c.step, amr });
      return res.redirect(303, offered.offeredAt);
    }
    await pending.clear(c.details.uid);
    await finishLogin(c.details, res, c.step.accountId, LOA.high, amr);
  });

  return {
    /** The app's code page, as the answer to the password form itself (no redirect to it: one round trip fewer). */
    appCode: (res: Response, details: Interaction, lang: Lang, accountId: string) => appStep(res, 200, details, lang, accountId),
  };
}
