import type { Redis, TokenBucket } from '@tamkeen/db';
import { mobileNumber, parseNationalId, westernDigits } from '@tamkeen/citizen-input';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { CitizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword, passwordProblem } from '../accounts/password.js';
import { LOA } from '../oidc/assurance.js';
import { CodeNotSent, type CodeSender } from '../one-time-codes/code-sender.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import { RegisterUnavailable, type RegistryClient } from '../registry/registry-client.js';
import { csrfTokens, finishLogin, openInteraction, pageForm, refuse, sendPage } from './page-kit.js';
import { codePage, formPage, type Lang, type MessageKey } from './pages.js';

interface Enrolment {
  nationalId: string;
  nameAr: string;
  nameEn: string;
  birthdate: string;
  phone?: string;
  phoneConfirmed?: boolean;
  /** Every number a code was asked for in this enrolment (a few, to mend a typo; not a way to guess). */
  phonesTried?: string[];
}

/** Numbers one enrolment may ask codes for. */
const PHONES_PER_ENROLMENT = 3;

export interface CitizenEnrolmentDeps {
  provider: Provider;
  accounts: CitizenAccounts;
  registry: RegistryClient;
  codes: OneTimeCodes;
  codeSender: CodeSender;
  redis: Redis;
  redisPrefix: string;
  attempts: TokenBucket;
  secret: string;
  logger: Logger;
}


/**
 * Enrolment, inside a login (the relying party gets the new citizen back, logged in): who you are,
 * checked with the register (ID number, date of birth, mother's first name); a mobile number
 * confirmed by an SMS code; a password. Password and the code make the login substantial.
 * If the register cannot be reached, enrolment stops and says so.
 */
export function citizenEnrolmentRoutes(router: IRouter, { provider, accounts, registry, codes, codeSender, redis, redisPrefix, attempts, secret, logger }: CitizenEnrolmentDeps): void {
  const base = '/auth/citizen/interaction';
  const csrf = csrfTokens(secret);
  const stateKey = (uid: string) => `${redisPrefix}:enrolment:${uid}`;

  /** The interaction (its cookie checked), the language and the enrolment so far; undefined when the page was answered already. */
  async function context(req: Request, res: Response) {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return undefined;
    const { details, lang } = opened;
    const uid = details.uid;
    const href = (step: string, l: Lang = lang) => `${base}/${uid}/${step}?lang=${l}`;
    const saved = await redis.get(stateKey(uid));
    const fail = (status: number, message: MessageKey) => refuse(res, status, `${base}/${uid}/enrol`, lang, message);
    if (req.method === 'POST' && !csrf.matches(uid, (req.body as Record<string, string> | undefined)?.csrf)) {
      fail(403, 'csrf');
      return undefined;
    }
    return { details, lang, uid, href, fail, enrolment: saved ? (JSON.parse(saved) as Enrolment) : undefined, save: (e: Enrolment) => redis.set(stateKey(uid), JSON.stringify(e), 'EX', 1800) };
  }

  function showIdentityForm(res: Response, c: NonNullable<Awaited<ReturnType<typeof context>>>, status: number, error?: MessageKey, values: Record<string, string> = {}) {
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'enrolTitle',
        intro: 'enrolIntro',
        action: c.href('enrol'),
        switchHref: c.href('enrol', c.lang === 'ar' ? 'en' : 'ar'),
        csrf: csrf.tokenFor(c.uid),
        submit: 'continue',
        error,
        fields: [
          { name: 'national_id', label: 'nationalId', hint: 'nationalIdHint', inputmode: 'numeric', value: values.national_id },
          { name: 'date_of_birth', label: 'dateOfBirth', hint: 'dateOfBirthHint', type: 'date', value: values.date_of_birth },
          { name: 'mother_first_name_ar', label: 'motherName', value: values.mother_first_name_ar },
        ],
      }),
    );
  }

  router.get(`${base}/:uid/enrol`, async (req, res) => {
    const c = await context(req, res);
    if (c) showIdentityForm(res, c, 200);
  });

  router.post(`${base}/:uid/enrol`, pageForm, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    const body = req.body as Record<string, string>;
    const values = { national_id: String(body.national_id ?? ''), date_of_birth: westernDigits(String(body.date_of_birth ?? '')).trim(), mother_first_name_ar: String(body.mother_first_name_ar ?? '').trim() };
    const parsed = parseNationalId(values.national_id);
    if (!parsed.ok) return showIdentityForm(res, c, 400, 'badNationalId', values);
    const [perAddress, perId] = await Promise.all([attempts.take(`enrol:ip:${req.ip ?? 'unknown'}`, 20), attempts.take(`enrol:id:${parsed.nationalId}`, 10)]);
    if (!perAddress.allowed || !perId.allowed) return showIdentityForm(res, c, 429, 'throttled', values);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date_of_birth) || !values.mother_first_name_ar) return showIdentityForm(res, c, 400, 'noMatch', values);
    if (await accounts.byNationalId(parsed.nationalId)) return showIdentityForm(res, c, 409, 'alreadyEnrolled', values);
    try {
      const matches = await registry.verify(parsed.nationalId, { date_of_birth: values.date_of_birth, mother_first_name_ar: values.mother_first_name_ar });
      if (!matches) return showIdentityForm(res, c, 400, 'noMatch', values);
      const person = await registry.citizen(parsed.nationalId);
      if (!person) return c.fail(403, 'unknown');
      if (person.status === 'deceased') return c.fail(403, 'deceased');
      if (person.card_status === 'revoked') return c.fail(403, 'revoked');
      await c.save({ nationalId: parsed.nationalId, nameAr: person.name.ar, nameEn: person.name.en, birthdate: person.date_of_birth });
    } catch (error) {
      if (!(error instanceof RegisterUnavailable)) throw error;
      logger.warn({ reason: error.message }, 'enrolment stopped: the register could not be asked');
      return c.fail(503, 'registerDownEnrol');
    }
    res.redirect(303, c.href('enrol/phone'));
  });

  const phoneForm = (res: Response, c: NonNullable<Awaited<ReturnType<typeof context>>>, status: number, error?: MessageKey, value?: string) =>
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'phoneTitle',
        action: c.href('enrol/phone'),
        switchHref: c.href('enrol/phone', c.lang === 'ar' ? 'en' : 'ar'),
        csrf: csrf.tokenFor(c.uid),
        submit: 'continue',
        error,
        fields: [{ name: 'phone_number', label: 'phoneLabel', hint: 'phoneHint', type: 'tel', autocomplete: 'tel', inputmode: 'tel', value }],
      }),
    );

  router.get(`${base}/:uid/enrol/phone`, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    if (!c.enrolment) return c.fail(400, 'expired');
    phoneForm(res, c, 200);
  });

  router.post(`${base}/:uid/enrol/phone`, pageForm, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    if (!c.enrolment) return c.fail(400, 'expired');
    const typed = String((req.body as Record<string, string>).phone_number ?? '');
    const phone = mobileNumber(typed);
    if (!phone.ok) return phoneForm(res, c, 400, 'badPhone', typed);
    const tried = new Set([...(c.enrolment.phonesTried ?? []), phone.e164]);
    if (tried.size > PHONES_PER_ENROLMENT) return phoneForm(res, c, 429, 'throttled', typed);
    await c.save({ ...c.enrolment, phone: phone.e164, phoneConfirmed: false, phonesTried: [...tried] });
    // The code belongs to this enrolment and this number: a code sent to one number never confirms another.
    const issued = await codes.issue(`enrol:${c.uid}:${phone.e164}`, 'enrol-phone', 'sms');
    if (!issued.issued && issued.reason === 'locked') return c.fail(429, 'locked');
    if (issued.issued) {
      try {
        await codeSender.sendSms(phone.e164, issued.code, c.lang);
      } catch (error) {
        if (!(error instanceof CodeNotSent)) throw error;
        logger.warn({ reason: error.message }, 'an enrolment code could not be sent');
        return c.fail(503, 'codeNotSent');
      }
    }
    res.redirect(303, c.href('enrol/phone-code'));
  });

  const phoneCodePage = (res: Response, c: NonNullable<Awaited<ReturnType<typeof context>>>, status: number, phone: string, error?: MessageKey) =>
    sendPage(res, status, codePage({ lang: c.lang, action: c.href('enrol/phone-code'), switchHref: c.href('enrol/phone-code', c.lang === 'ar' ? 'en' : 'ar'), csrf: csrf.tokenFor(c.uid), phone, error }));

  router.get(`${base}/:uid/enrol/phone-code`, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    if (!c.enrolment?.phone) return c.fail(400, 'expired');
    phoneCodePage(res, c, 200, c.enrolment.phone);
  });

  router.post(`${base}/:uid/enrol/phone-code`, pageForm, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    if (!c.enrolment?.phone) return c.fail(400, 'expired');
    const checked = await codes.check(`enrol:${c.uid}:${c.enrolment.phone}`, 'enrol-phone', westernDigits(String((req.body as Record<string, string>).code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return c.fail(429, 'locked');
      return phoneCodePage(res, c, 400, c.enrolment.phone, checked.reason === 'wrong' ? 'codeWrong' : 'codeExpired');
    }
    await c.save({ ...c.enrolment, phoneConfirmed: true });
    res.redirect(303, c.href('enrol/password'));
  });

  const passwordForm = (res: Response, c: NonNullable<Awaited<ReturnType<typeof context>>>, status: number, error?: MessageKey) =>
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'passwordTitle',
        action: c.href('enrol/password'),
        switchHref: c.href('enrol/password', c.lang === 'ar' ? 'en' : 'ar'),
        csrf: csrf.tokenFor(c.uid),
        submit: 'continue',
        error,
        fields: [
          { name: 'password', label: 'newPassword', hint: 'newPasswordHint', type: 'password', autocomplete: 'new-password' },
          { name: 'password_confirmation', label: 'confirmPassword', type: 'password', autocomplete: 'new-password' },
        ],
      }),
    );

  router.get(`${base}/:uid/enrol/password`, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    if (!c.enrolment?.phoneConfirmed) return c.fail(400, 'expired');
    passwordForm(res, c, 200);
  });

  router.post(`${base}/:uid/enrol/password`, pageForm, async (req, res) => {
    const c = await context(req, res);
    if (!c) return;
    const enrolment = c.enrolment;
    if (!enrolment?.phoneConfirmed || !enrolment.phone) return c.fail(400, 'expired');
    const body = req.body as Record<string, string>;
    const password = String(body.password ?? '');
    if (password !== String(body.password_confirmation ?? '')) return passwordForm(res, c, 400, 'passwordMismatch');
    if (passwordProblem(password, enrolment.nationalId)) return passwordForm(res, c, 400, 'passwordWeak');
    let accountId: string;
    try {
      const account = await accounts.create({
        nationalId: enrolment.nationalId,
        nameAr: enrolment.nameAr,
        nameEn: enrolment.nameEn,
        birthdate: enrolment.birthdate,
        phoneNumber: enrolment.phone,
        phoneNumberVerified: true,
        email: null,
        emailVerified: false,
        passwordHash: await hashPassword(password),
        });
      accountId = account.id;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return c.fail(409, 'alreadyEnrolled');
      throw error;
    }
    await redis.del(stateKey(c.uid));
    // The password just chosen and the phone just confirmed by a code: substantial.
    await finishLogin(c.details, res, accountId, LOA.substantial, ['pwd', 'sms']);
  });
}
