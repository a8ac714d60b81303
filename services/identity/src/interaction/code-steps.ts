import { westernDigits } from '@tamkeen/citizen-input';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { CitizenAccount, CitizenAccounts } from '../accounts/citizen-accounts.js';
import type { Authenticators } from '../authenticators/authenticators.js';
import { LOA, rankOf } from '../oidc/assurance.js';
import { CodeNotSent, type CodeSender } from '../one-time-codes/code-sender.js';
import type { Channel, OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import type { PendingSteps, SecondFactorStep } from './authenticator-steps.js';
import { csrfTokens, finishLogin, openInteraction, pageForm, refuse, sendPage } from './page-kit.js';
import { codePage, type Lang, type MessageKey } from './pages.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Each channel's pages, its RFC 8176 `amr` value, and what its pages say. */
export const CODE_CHANNELS = {
  sms: { page: 'code', resend: 'resend', amr: 'sms', missing: 'noPhone', instead: 'sendBySmsInstead' },
  // RFC 8176 registers no value for a code sent by e-mail. 'otp' is not it: here 'otp' is the
  // authenticator app (RFC 6238, the one factor that reaches high), and a relying party must be
  // able to read it so; 'sms' is another channel; 'mca' would hide which. 'email' is unregistered,
  // as RFC 8176 section 2 allows between parties that agree on a value (the README says what it
  // means), and says what was used as plainly as 'sms' does.
  email: { page: 'email-code', resend: 'email-resend', amr: 'email', missing: 'noEmail', instead: 'sendByEmailInstead' },
} as const satisfies Record<Channel, { page: string; resend: string; amr: string; missing: MessageKey; instead: MessageKey }>;

/** Where this channel's codes go for the account: its confirmed phone number or e-mail address, if any. */
export function codeDestination(account: CitizenAccount, channel: Channel): string | undefined {
  const [to, confirmed] = channel === 'sms' ? [account.phoneNumber, account.phoneNumberVerified] : [account.email, account.emailVerified];
  return (confirmed && to) || undefined;
}

/** The channel a login's code goes by first: SMS, or e-mail where the account has no phone (citizens abroad). */
export const firstCodeChannel = (account: CitizenAccount | undefined): Channel => (account && !codeDestination(account, 'sms') && codeDestination(account, 'email') ? 'email' : 'sms');

export interface CodeStepsDeps {
  provider: Provider;
  /** The citizen issuer's interaction path. */
  base: string;
  accounts: CitizenAccounts;
  codes: OneTimeCodes;
  codeSender: CodeSender;
  authenticators: Authenticators;
  pending: PendingSteps;
  /** The first cookie key (CSRF tokens). */
  secret: string;
  /** Whose login the code completes, and the factors it has: a pending login or a session stepping up. */
  stepOf(details: Interaction): Promise<SecondFactorStep | undefined>;
  /** The level the relying party asked for, as a rank (-1: none). */
  rankAsked(details: Interaction): number;
  logger: Logger;
}

/**
 * The one-time-code steps of a citizen's login, by SMS or by e-mail, each page offering the other
 * channel when the account has it: password and either code, urn:tamkeen:loa:substantial. Neither
 * reaches high: when high is asked, the authenticator app comes next (linked first if need be,
 * which takes this login's SMS code), so e-mail is not offered then.
 */
export function codeSteps(router: IRouter, { provider, base, accounts, codes, codeSender, authenticators, pending, secret, stepOf, rankAsked, logger }: CodeStepsDeps) {
  const csrf = csrfTokens(secret);
  const send = (channel: Channel, to: string, code: string, lang: Lang) => (channel === 'sms' ? codeSender.sendSms(to, code, lang) : codeSender.sendEmail(to, code, lang));

  function codeStep(res: Response, status: number, details: Interaction, lang: Lang, channel: Channel, account: CitizenAccount, to: string, error?: MessageKey) {
    const { page, resend } = CODE_CHANNELS[channel];
    const other: Channel = channel === 'sms' ? 'email' : 'sms';
    const offerOther = codeDestination(account, other) !== undefined && (other === 'sms' || rankAsked(details) < rankOf(LOA.high));
    const path = `${base}/${details.uid}`;
    sendPage(
      res,
      status,
      codePage({
        lang,
        action: `${path}/${page}?lang=${lang}`,
        resendAction: `${path}/${resend}?lang=${lang}`,
        switchHref: `${path}/${page}?lang=${lang === 'ar' ? 'en' : 'ar'}`,
        csrf: csrf.tokenFor(details.uid),
        sentTo: channel === 'sms' ? { phone: to } : { email: to },
        error,
        links: offerOther ? [{ href: `${path}/${CODE_CHANNELS[other].page}?lang=${lang}`, label: CODE_CHANNELS[other].instead }] : undefined,
      }),
    );
  }

  /** The login this page belongs to, the account and where its codes go by `channel`; undefined when the page was answered already. */
  async function codeContext(req: Request, res: Response, channel: Channel) {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return undefined;
    const { details, lang } = opened;
    const fail = (status: number, message: MessageKey) => void refuse(res, status, `${base}/${details.uid}`, lang, message);
    if (req.method === 'POST' && !csrf.matches(details.uid, (req.body as Record<string, string> | undefined)?.csrf)) return fail(403, 'csrf');
    const step = await stepOf(details);
    if (!step) return fail(400, 'expired');
    const account = await accounts.byId(step.accountId);
    const to = account && codeDestination(account, channel);
    if (!account || !to) return fail(409, CODE_CHANNELS[channel].missing);
    return { details, lang, fail, step, account, to };
  }

  /** Sends a code (unless one went less than a minute ago) and shows its page. */
  async function showCode(req: Request, res: Response, channel: Channel, resend: boolean) {
    const c = await codeContext(req, res, channel);
    if (!c) return;
    await sendAndShow(res, c.details, c.lang, channel, c.account, c.to, resend);
  }

  async function sendAndShow(res: Response, details: Interaction, lang: Lang, channel: Channel, account: CitizenAccount, to: string, resend: boolean) {
    const fail = (status: number, message: MessageKey) => void refuse(res, status, `${base}/${details.uid}`, lang, message);
    const issued = await codes.issue(account.id, 'login', channel);
    let notice: MessageKey | undefined;
    if (issued.issued) {
      try {
        await send(channel, to, issued.code, lang);
      } catch (error) {
        if (!(error instanceof CodeNotSent)) throw error;
        logger.warn({ reason: error.message, account: account.id, channel }, 'a login code could not be sent');
        return fail(503, 'codeNotSent');
      }
    } else if (issued.reason === 'locked') {
      return fail(429, 'locked');
    } else if (resend) {
      notice = 'tooSoon';
    }
    codeStep(res, 200, details, lang, channel, account, to, notice);
  }

  async function checkCode(req: Request, res: Response, channel: Channel) {
    const c = await codeContext(req, res, channel);
    if (!c) return;
    const checked = await codes.check(c.account.id, 'login', channel, westernDigits(String((req.body as Record<string, string>).code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return c.fail(429, 'locked');
      return codeStep(res, 400, c.details, c.lang, channel, c.account, c.to, checked.reason === 'wrong' ? 'codeWrong' : 'codeExpired');
    }
    const amr = [...c.step.amr, CODE_CHANNELS[channel].amr];
    const uid = c.details.uid;
    if (rankAsked(c.details) >= rankOf(LOA.high)) {
      // Neither SMS nor e-mail reaches high: the authenticator app is asked for next (linked first if need be).
      await pending.save(uid, { ...c.step, amr });
      return res.redirect(303, `${base}/${uid}/app${(await authenticators.has(c.account.id)) ? '' : '/setup'}?lang=${c.lang}`);
    }
    await pending.clear(uid);
    // Password and a code by SMS or e-mail: substantial.
    await finishLogin(c.details, res, c.account.id, LOA.substantial, amr);
  }

  for (const channel of ['sms', 'email'] as const) {
    const { page, resend } = CODE_CHANNELS[channel];
    router.get(`${base}/:uid/${page}`, (req, res) => showCode(req, res, channel, false));
    router.post(`${base}/:uid/${resend}`, pageForm, (req, res) => showCode(req, res, channel, true));
    router.post(`${base}/:uid/${page}`, pageForm, (req, res) => checkCode(req, res, channel));
  }

  return {
    /**
     * Sends the first code of a login whose password was just checked and answers with its page,
     * as the answer to the password form itself: one round trip fewer than a redirect to the page
     * (as Keycloak does). Its links and forms all lead to this step's own addresses.
     */
    firstCode(res: Response, details: Interaction, lang: Lang, account: CitizenAccount): Promise<void> {
      const channel = firstCodeChannel(account);
      const to = codeDestination(account, channel);
      if (!to) return Promise.resolve(refuse(res, 409, `${base}/${details.uid}`, lang, CODE_CHANNELS[channel].missing));
      return sendAndShow(res, details, lang, channel, account, to, false);
    },
  };
}
