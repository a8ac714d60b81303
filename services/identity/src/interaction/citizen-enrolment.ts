import type { Redis, TokenBucket } from '@tamkeen/db';
import { mobileNumber, parseNationalId, westernDigits } from '@tamkeen/citizen-input';
import type { Logger } from '@tamkeen/http-kit';
import type { IRouter, Response } from 'express';
import type Provider from 'oidc-provider';
import type { CitizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword, passwordProblem } from '../accounts/password.js';
import { CodeNotSent, type CodeSender } from '../one-time-codes/code-sender.js';
import type { OneTimeCodes } from '../one-time-codes/one-time-codes.js';
import { RegisterUnavailable, type RegistryClient } from '../registry/registry-client.js';
import { pendingSteps } from './authenticator-steps.js';
import { ENROLMENT_BASE, enrolmentExtrasHref, enrolmentPages, type EnrolmentPage } from './enrolment-context.js';
import { enrolmentExtrasRoutes } from './enrolment-extras.js';
import { pageForm, sendPage } from './page-kit.js';
import { codePage, formPage, type MessageKey } from './pages.js';

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
 * confirmed by an SMS code; a password, which makes the account. Then, optionally, an e-mail
 * address and an authenticator app (enrolment-extras.ts), and the login ends: substantial, or
 * high with the app. If the register cannot be reached, enrolment stops and says so.
 */
export function citizenEnrolmentRoutes(router: IRouter, deps: CitizenEnrolmentDeps): void {
  const { provider, accounts, registry, codes, codeSender, redis, redisPrefix, attempts, secret, logger } = deps;
  const base = ENROLMENT_BASE;
  const { csrf, context } = enrolmentPages({ provider, redis, redisPrefix, secret });
  const pending = pendingSteps(redis, redisPrefix);

  function showIdentityForm(res: Response, c: EnrolmentPage, status: number, error?: MessageKey, values: Record<string, string> = {}) {
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'enrolTitle',
        intro: 'enrolIntro',
        action: c.href('enrol'),
        switchHref: c.switchHref('enrol'),
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

  const phoneForm = (res: Response, c: EnrolmentPage, status: number, error?: MessageKey, value?: string) =>
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'phoneTitle',
        action: c.href('enrol/phone'),
        switchHref: c.switchHref('enrol/phone'),
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

  const phoneCodePage = (res: Response, c: EnrolmentPage, status: number, phone: string, error?: MessageKey) =>
    sendPage(res, status, codePage({ lang: c.lang, action: c.href('enrol/phone-code'), switchHref: c.switchHref('enrol/phone-code'), csrf: csrf.tokenFor(c.uid), sentTo: { phone }, error }));

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
    const checked = await codes.check(`enrol:${c.uid}:${c.enrolment.phone}`, 'enrol-phone', 'sms', westernDigits(String((req.body as Record<string, string>).code ?? '')));
    if (!checked.ok) {
      if (checked.reason === 'locked') return c.fail(429, 'locked');
      return phoneCodePage(res, c, 400, c.enrolment.phone, checked.reason === 'wrong' ? 'codeWrong' : 'codeExpired');
    }
    await c.save({ ...c.enrolment, phoneConfirmed: true });
    res.redirect(303, c.href('enrol/password'));
  });

  const passwordForm = (res: Response, c: EnrolmentPage, status: number, error?: MessageKey) =>
    sendPage(
      res,
      status,
      formPage({
        lang: c.lang,
        title: 'passwordTitle',
        action: c.href('enrol/password'),
        switchHref: c.switchHref('enrol/password'),
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
    // The account exists; the login waits, with the password just chosen and the phone just
    // confirmed by a code (substantial), while an e-mail address and an app are offered.
    await pending.save(c.uid, { accountId, amr: ['pwd', 'sms'], enrolling: true });
    res.redirect(303, enrolmentExtrasHref(c.uid, c.lang));
  });

  enrolmentExtrasRoutes(router, deps);
}
