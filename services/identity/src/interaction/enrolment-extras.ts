import { westernDigits } from '@tamkeen/citizen-input';
import type { Redis } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { CitizenAccounts } from '../accounts/citizen-accounts.js';
import { parseEmailAddress } from '../accounts/citizen-email-address.js';
import { LOA } from '../oidc/assurance.js';
import { CodeNotSent, type CodeSender } from '../one-time-codes/code-sender.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import { pendingSteps } from './authenticator-steps.js';
import { ENROLMENT_BASE, enrolmentPages } from './enrolment-context.js';
import { finishLogin, pageForm, sendPage } from './page-kit.js';
import { codePage, enrolmentExtrasPage, formPage, type MessageKey } from './pages.js';

export interface EnrolmentExtrasDeps {
  provider: Provider;
  accounts: CitizenAccounts;
  codes: OneTimeCodes;
  codeSender: CodeSender;
  redis: Redis;
  redisPrefix: string;
  secret: string;
  logger: Logger;
}

/** Addresses one enrolment may ask codes for (a few, to mend a typo). */
const EMAILS_PER_ENROLMENT = 3;

/** The code that confirms an address belongs to this enrolment and this address: it never confirms another. */
const emailCodeSubject = (uid: string, address: string) => `enrol:${uid}:${address}`;

/**
 * The end of an enrolment, once the account exists: an e-mail address (confirmed by a code sent
 * to it) and an authenticator app (linked by authenticator-steps.ts, bound to this login attempt,
 * never replacing an app) are offered; both may be left for later. The login then ends at the
 * level its factors give: password and SMS code, substantial; with the app's first code, high.
 */
export function enrolmentExtrasRoutes(router: IRouter, { provider, accounts, codes, codeSender, redis, redisPrefix, secret, logger }: EnrolmentExtrasDeps): void {
  const base = ENROLMENT_BASE;
  const { csrf, context } = enrolmentPages({ provider, redis, redisPrefix, secret });
  const pending = pendingSteps(redis, redisPrefix);

  /** A page of an enrolment whose account exists and whose login waits to end; undefined when answered already. */
  async function finishing(req: Request, res: Response) {
    const c = await context(req, res);
    if (!c) return undefined;
    const step = await pending.get(c.uid);
    if (!step?.enrolling) return void c.fail(400, 'expired');
    return { ...c, step };
  }
  type Finishing = NonNullable<Awaited<ReturnType<typeof finishing>>>;

  router.get(`${base}/:uid/enrol/extras`, async (req, res) => {
    const c = await finishing(req, res);
    if (!c) return;
    const account = await accounts.byId(c.step.accountId);
    sendPage(
      res,
      200,
      enrolmentExtrasPage({
        lang: c.lang,
        action: c.href('enrol/extras'),
        switchHref: c.switchHref('enrol/extras'),
        csrf: csrf.tokenFor(c.uid),
        emailHref: c.href('enrol/email'),
        confirmedEmail: account?.emailVerified ? (account.email ?? undefined) : undefined,
        appHref: c.href('app/setup'),
        appLinked: c.step.amr.includes('otp'),
      }),
    );
  });

  router.post(`${base}/:uid/enrol/extras`, pageForm, async (req, res) => {
    const c = await finishing(req, res);
    if (!c) return;
    await Promise.all([pending.clear(c.uid), c.clear()]);
    // Password and SMS code: substantial. 'otp' is there only when this login linked an app and
    // typed its first code (authenticator-steps.ts): password and app, high.
    await finishLogin(c.details, res, c.step.accountId, c.step.amr.includes('otp') ? LOA.high : LOA.substantial, c.step.amr);
  });

  const emailForm = (res: Response, c: Finishing, status: number, error?: MessageKey, value?: string) =>
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'emailTitle',
        action: c.href('enrol/email'),
        switchHref: c.switchHref('enrol/email'),
        csrf: csrf.tokenFor(c.uid),
        submit: 'continue',
        error,
        fields: [{ name: 'email', label: 'email', hint: 'emailHint', type: 'email', autocomplete: 'email', inputmode: 'email', ltr: true, value }],
        links: [{ href: c.href('enrol/extras'), label: 'notNow' }],
      }),
    );

  router.get(`${base}/:uid/enrol/email`, async (req, res) => {
    const c = await finishing(req, res);
    if (c) emailForm(res, c, 200, undefined, c.enrolment?.email);
  });

  router.post(`${base}/:uid/enrol/email`, pageForm, async (req, res) => {
    const c = await finishing(req, res);
    if (!c) return;
    if (!c.enrolment) return c.fail(400, 'expired');
    const typed = String((req.body as Record<string, string>).email ?? '');
    const parsed = parseEmailAddress(typed);
    if (!parsed.ok) return emailForm(res, c, 400, parsed.problem, typed);
    const tried = new Set([...(c.enrolment.emailsTried ?? []), parsed.address]);
    if (tried.size > EMAILS_PER_ENROLMENT) return emailForm(res, c, 429, 'throttled', typed);
    await c.save({ ...c.enrolment, email: parsed.address, emailsTried: [...tried] });
    const issued = await codes.issue(emailCodeSubject(c.uid, parsed.address), 'enrol-email', 'email');
    if (!issued.issued && issued.reason === 'locked') return c.fail(429, 'locked');
    if (issued.issued) {
      try {
        await codeSender.sendEmail(parsed.address, issued.code, c.lang);
      } catch (error) {
        if (!(error instanceof CodeNotSent)) throw error;
        logger.warn({ reason: error.message, account: c.step.accountId }, 'an e-mail address could not be sent its code');
        return c.fail(503, 'codeNotSent');
      }
    }
    res.redirect(303, c.href('enrol/email-code'));
  });

  const emailCodePage = (res: Response, c: Finishing, status: number, email: string, error?: MessageKey) =>
    sendPage(
      res,
      status,
      codePage({
        lang: c.lang,
        action: c.href('enrol/email-code'),
        switchHref: c.switchHref('enrol/email-code'),
        csrf: csrf.tokenFor(c.uid),
        sentTo: { email },
        error,
        links: [
          { href: c.href('enrol/email'), label: 'otherEmail' },
          { href: c.href('enrol/extras'), label: 'notNow' },
        ],
      }),
    );

  router.get(`${base}/:uid/enrol/email-code`, async (req, res) => {
    const c = await finishing(req, res);
    if (!c) return;
    if (!c.enrolment?.email) return c.fail(400, 'expired');
    emailCodePage(res, c, 200, c.enrolment.email);
  });

  router.post(`${base}/:uid/enrol/email-code`, pageForm, async (req, res) => {
    const c = await finishing(req, res);
    if (!c) return;
    const email = c.enrolment?.email;
    if (!email) return c.fail(400, 'expired');
    const checked = await codes.check(emailCodeSubject(c.uid, email), 'enrol-email', 'email', westernDigits(String((req.body as Record<string, string>).code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return c.fail(429, 'locked');
      return emailCodePage(res, c, 400, email, checked.reason === 'wrong' ? 'codeWrong' : 'codeExpired');
    }
    await accounts.confirmEmail(c.step.accountId, email);
    // The address's code is a factor of this login too.
    await pending.save(c.uid, { ...c.step, amr: [...c.step.amr, 'email'] });
    res.redirect(303, c.href('enrol/extras'));
  });
}
