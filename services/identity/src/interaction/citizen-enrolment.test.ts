import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { testBrowser } from '@tamkeen/testing';
import { citizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';

let identity: TestIdentity;
let rp: { clientId: string; clientSecret: string };
const REDIRECT = 'http://rp.test/callback';

beforeAll(async () => {
  identity = await testIdentity('identity enrolment', { withRegistry: true });
  await addOrganisation(identity.stores.knex, { id: 'mosd', nameAr: 'وزارة التنمية الاجتماعية', nameEn: 'Ministry of Social Development', kind: 'ministry' });
  rp = await addRelyingParty(identity.stores.knex, { organisationId: 'mosd', name: 'Cash assistance', redirectUris: [REDIRECT] });
  const layla = await citizenAccounts(identity.stores.knex).create({ nationalId: '900000019', nameAr: 'ليلى', nameEn: 'Layla', birthdate: '1990-04-12', phoneNumber: '+970599123456', phoneNumberVerified: true, email: null, emailVerified: false, passwordHash: await hashPassword('zaytoun-tree-1990') });
  await citizenAccounts(identity.stores.knex).confirmEmail(layla.id, 'family@example.ps');
}, 30_000); // starts real services: seconds on a busy machine
afterAll(() => identity.close());

/** A relying party sends the browser to log in; the login page. */
async function loginPage(identity: TestIdentity, rp: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}) {
  const config = await oidc.discovery(new URL(`${identity.url}/auth/citizen`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile phone', ...extra, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const agent = testBrowser(identity.url);
  const login = (await agent.follow(await agent.go(url.toString()))) as Response;
  return { config, verifier, state, agent, html: await login.text() };
}

async function enrolmentPage(identity: TestIdentity, rp: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}) {
  const { config, verifier, state, agent, html: loginHtml } = await loginPage(identity, rp, extra);
  const enrolHref = /<a href="([^"]+\/enrol[^"]*)"/.exec(loginHtml)![1]!.replace(/&amp;/g, '&');
  const page = await agent.go(enrolHref);
  return { config, verifier, state, agent, html: await page.text() };
}

/** The link on the page with this text, as the browser would follow it. */
function linkOf(html: string, label: string): string {
  const found = [...html.matchAll(/<a href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].find((m) => m[2] === label);
  if (!found) throw new Error(`no link "${label}" on the page`);
  return found[1]!.replace(/&amp;/g, '&');
}

const OMAR = { national_id: '900000027', date_of_birth: '1985-11-30', mother_first_name_ar: 'فاطمة' };
const YOUSEF = { national_id: '900000035', date_of_birth: '1979-06-05', mother_first_name_ar: 'سعاد' };
const NEW_PASSWORD = 'olive-harvest-in-autumn';

/** A citizen enrolled through the register, a phone and a password, up to the page that offers an e-mail address and an app. */
async function enrolUntilExtras(who: Record<string, string>, phone: string, extra: Record<string, string> = {}) {
  const started = await enrolmentPage(identity, rp, extra);
  const phoneStep = (await started.agent.submit(started.html, who)) as Response;
  const codeStep = (await started.agent.submit(await phoneStep.text(), { phone_number: phone })) as Response;
  const passwordStep = (await started.agent.submit(await codeStep.text(), { code: identity.sentCodes.at(-1)!.code })) as Response;
  const extras = (await started.agent.submit(await passwordStep.text(), { password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD })) as Response;
  expect(extras.status).toBe(200);
  return { ...started, html: await extras.text() };
}

/** Forgets an enrolment done by an earlier test, so that the register's few demo citizens can enrol again. */
async function unenrol(nationalId: string) {
  const { knex } = identity.stores;
  const account = await citizenAccounts(knex).byNationalId(nationalId);
  if (!account) return;
  await knex('authenticators').where({ subject: account.id }).delete();
  await knex('citizen_accounts').where({ id: account.id }).delete();
}

async function claimsOf(login: { config: oidc.Configuration; verifier: string; state: string }, callback: Response | string) {
  expect(typeof callback).toBe('string');
  const tokens = await oidc.authorizationCodeGrant(login.config, new URL(callback as string), { pkceCodeVerifier: login.verifier, expectedState: login.state });
  return tokens.claims()!;
}

describe('citizen enrolment', () => {
  it('checks who you are with the register, confirms your phone with a code, takes a password, offers an e-mail address and an app, and without them logs you in at substantial', async () => {
    const { config, verifier, state, agent, html } = await enrolmentPage(identity, rp);
    expect(html).toMatch(/dir="rtl"/);
    expect(html).toContain('إنشاء حساب');
    const phoneStep = (await agent.submit(html, { national_id: '٩٠٠٠٠٠٠٢٧', date_of_birth: '1985-11-30', mother_first_name_ar: 'فاطمه' })) as Response;
    const phoneHtml = await phoneStep.text();
    expect(phoneHtml).toContain('رقم الهاتف المحمول');
    const codeStep = (await agent.submit(phoneHtml, { phone_number: '0599 000 111' })) as Response;
    const codeHtml = await codeStep.text();
    expect(codeHtml).toContain('+970 ••• ••• 111');
    const sent = identity.sentCodes.at(-1)!;
    expect(sent.phoneNumber).toBe('+970599000111');
    const passwordStep = (await agent.submit(codeHtml, { code: sent.code })) as Response;
    const passwordHtml = await passwordStep.text();
    const weak = (await agent.submit(passwordHtml, { password: 'short', password_confirmation: 'short' })) as Response;
    expect(weak.status).toBe(400);
    const extras = (await agent.submit(await weak.text(), { password: 'olive-harvest-in-autumn', password_confirmation: 'olive-harvest-in-autumn' })) as Response;
    // The account exists; an e-mail address and an app are offered, and both may wait.
    const extrasHtml = await extras.text();
    expect(extrasHtml).toMatch(/dir="rtl"/);
    expect(extrasHtml).toContain('طرق إضافية لتسجيل الدخول');
    expect(linkOf(extrasHtml, 'أضف بريدًا إلكترونيًا')).toMatch(/\/enrol\/email\?lang=ar$/);
    expect(linkOf(extrasHtml, 'اربط تطبيق مصادقة')).toMatch(/\/app\/setup\?lang=ar$/);
    expect(extrasHtml).not.toMatch(/<script/i);
    const forged = await agent.go(/<form method="post" action="([^"]+)"/.exec(extrasHtml)![1]!.replace(/&amp;/g, '&'), { csrf: 'forged' });
    expect(forged.status).toBe(403);
    const callback = await agent.submit(extrasHtml, {});
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'], name: 'عمر خالد يوسف نصار', phone_number: '+970599000111', phone_number_verified: true });
    const account = await citizenAccounts(identity.stores.knex).byNationalId('900000027');
    expect(account).toMatchObject({ phoneNumber: '+970599000111', phoneNumberVerified: true, nameEn: 'Omar Khaled Yousef Nassar' });
  });

  it('confirms only the number the code went to: a code sent to one number does not confirm another typed after it; a few numbers at most', async () => {
    const { agent, html } = await enrolmentPage(identity, rp);
    const phoneStep = (await agent.submit(html, { national_id: '900000035', date_of_birth: '1979-06-05', mother_first_name_ar: 'سعاد' })) as Response;
    const phoneHtml = await phoneStep.text();
    await agent.submit(phoneHtml, { phone_number: '+4915123456789' });
    const codeForFirst = identity.sentCodes.at(-1)!;
    expect(codeForFirst.phoneNumber).toBe('+4915123456789');
    // Back to the number, and another one.
    const other = (await agent.submit(phoneHtml, { phone_number: '+4915123456700' })) as Response;
    const otherHtml = await other.text();
    expect(identity.sentCodes.at(-1)!.phoneNumber).toBe('+4915123456700');
    const refused = (await agent.submit(otherHtml, { code: codeForFirst.code })) as Response;
    expect(refused.status).toBe(400);
    const passwordStep = (await agent.submit(otherHtml, { code: identity.sentCodes.at(-1)!.code })) as Response;
    expect(await passwordStep.text()).toContain('password_confirmation');
    await agent.submit(phoneHtml, { phone_number: '+4915123456701' });
    const tooMany = (await agent.submit(phoneHtml, { phone_number: '+4915123456702' })) as Response;
    expect(tooMany.status).toBe(429);
  });

  it('refuses details that do not match the register, a wrong check digit and an ID number that has an account, on the same page', async () => {
    const { agent, html } = await enrolmentPage(identity, rp);
    const mismatch = (await agent.submit(html, { national_id: '900000035', date_of_birth: '1979-06-05', mother_first_name_ar: 'مريم' })) as Response;
    expect(mismatch.status).toBe(400);
    const mismatchHtml = await mismatch.text();
    expect(mismatchHtml).toContain('لا تطابق السجل المدني');
    const badDigit = (await agent.submit(mismatchHtml, { national_id: '900000036', date_of_birth: '1979-06-05', mother_first_name_ar: 'سعاد' })) as Response;
    expect(badDigit.status).toBe(400);
    const again = (await agent.submit(await badDigit.text(), { national_id: '900000019', date_of_birth: '1990-04-12', mother_first_name_ar: 'مريم' })) as Response;
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('لهذا الرقم حساب من قبل');
  });

  it('refuses a deceased citizen and a revoked card, saying why', async () => {
    const deceased = await enrolmentPage(identity, rp);
    const refused = (await deceased.agent.submit(deceased.html, { national_id: '900000043', date_of_birth: '1948-01-20', mother_first_name_ar: 'آمنة' })) as Response;
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('متوفّى');
    const revoked = await enrolmentPage(identity, rp);
    const refusedCard = (await revoked.agent.submit(revoked.html, { national_id: '900000050', date_of_birth: '1995-08-17', mother_first_name_ar: 'هالة' })) as Response;
    expect(refusedCard.status).toBe(403);
    expect(await refusedCard.text()).toContain('ملغاة');
  });
});

describe('an e-mail address and an authenticator app, offered at the end of enrolment', () => {
  it('confirms an e-mail address with a code sent to it, shows a wrong address again with the problem named, and the ID token carries it with the email scope', async () => {
    await unenrol('900000027');
    const login = await enrolUntilExtras(OMAR, '0599 000 222', { scope: 'openid profile phone email', ui_locales: 'en' });
    const form = await login.agent.go(linkOf(login.html, 'Add an e-mail address'));
    const formHtml = await form.text();
    expect(formHtml).toMatch(/<html lang="en" dir="ltr">/);
    expect(formHtml).toMatch(/<input id="email" name="email" type="email" autocomplete="email" inputmode="email" dir="ltr" aria-describedby="email_hint"/);
    const bad = (await login.agent.submit(formHtml, { email: 'omar.nassar@example' })) as Response;
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('The part after the @ is not a valid domain');
    expect(badHtml).toContain('value="omar.nassar@example"');
    expect(badHtml).toMatch(/aria-describedby="email_hint error" aria-invalid="true"/);
    const tooLong = (await login.agent.submit(badHtml, { email: `${'o'.repeat(10)}@${['d', 'e', 'f', 'g'].map((c) => c.repeat(60)).join('.')}.ps` })) as Response;
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('at most 254 characters');

    // An address another account confirmed already is fine: it identifies no one here.
    const codeStep = (await login.agent.submit(badHtml, { email: ' family@Example.PS ' })) as Response;
    const codeHtml = await codeStep.text();
    expect(codeHtml).toContain('We sent a six-digit code by e-mail to');
    expect(codeHtml).toContain('f•••@example.ps');
    const sent = identity.sentCodes.at(-1)!;
    expect(sent).toMatchObject({ channel: 'email', emailAddress: 'family@example.ps', language: 'en', code: expect.stringMatching(/^[0-9]{6}$/) });
    const extras = (await login.agent.submit(codeHtml, { code: sent.code })) as Response;
    const extrasHtml = await extras.text();
    expect(extrasHtml).toContain('Your e-mail address is confirmed');
    expect(extrasHtml).not.toContain('Add an e-mail address');
    const claims = await claimsOf(login, await login.agent.submit(extrasHtml, {}, /\/enrol\/extras/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms', 'email'], email: 'family@example.ps', email_verified: true });
  });

  it('stops e-mail codes for 15 minutes after five wrong ones, and the enrolment can still end without an address', async () => {
    await unenrol('900000027');
    const login = await enrolUntilExtras(OMAR, '0599 000 333');
    const formHtml = await (await login.agent.go(linkOf(login.html, 'أضف بريدًا إلكترونيًا'))).text();
    const codeStep = (await login.agent.submit(formHtml, { email: 'omar@example.ps' })) as Response;
    let html = await codeStep.text();
    const right = identity.sentCodes.at(-1)!.code;
    const wrongCode = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      const wrong = (await login.agent.submit(html, { code: wrongCode })) as Response;
      expect(wrong.status).toBe(400);
      html = await wrong.text();
      expect(html).toContain('الرمز غير صحيح');
    }
    const locked = (await login.agent.submit(html, { code: wrongCode })) as Response;
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('ربع ساعة');
    expect(((await login.agent.submit(html, { code: right })) as Response).status).toBe(429);
    // The same address again: no new code while locked.
    const before = identity.sentCodes.length;
    expect(((await login.agent.submit(formHtml, { email: 'omar@example.ps' })) as Response).status).toBe(429);
    expect(identity.sentCodes.length).toBe(before);
    expect((await citizenAccounts(identity.stores.knex).byNationalId('900000027'))!.emailVerified).toBe(false);

    const extras = (await login.agent.go(linkOf(html, 'ليس الآن'))) as Response;
    const claims = await claimsOf(login, await login.agent.submit(await extras.text(), {}));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'] });
  });

  it('links an authenticator app bound to this enrolment (never replacing one), ends the login at high, and the app then logs the citizen in at high', async () => {
    const login = await enrolUntilExtras(YOUSEF, '+4915123456789');
    const setup = (await login.agent.go(linkOf(login.html, 'اربط تطبيق مصادقة'))) as Response;
    expect(setup.status).toBe(200);
    const setupHtml = await setup.text();
    expect(setupHtml).toContain('تستطيع استخدام الخدمات التي تطلب أعلى مستوى من التحقق');
    expect(setupHtml).toMatch(/<figure class="qr" role="img" aria-label="[^"]+"><svg/);
    expect(linkOf(setupHtml, 'ليس الآن')).toMatch(/\/enrol\/extras\?lang=ar$/);
    const key = /id="authenticator_key">([A-Z2-7 ]+)</.exec(setupHtml)![1]!.replace(/ /g, '');
    const linked = (await login.agent.submit(setupHtml, { code: await generate({ secret: key }) })) as Response;
    expect(new URL(linked.url).pathname).toMatch(/\/enrol\/extras$/);
    const extrasHtml = await linked.text();
    expect(extrasHtml).toContain('رُبط تطبيق المصادقة بحسابك');
    // Linked now: a second set-up in this attempt would replace it, and is refused.
    expect((await login.agent.go(linkOf(login.html, 'اربط تطبيق مصادقة'))).status).toBe(409);
    const claims = await claimsOf(login, await login.agent.submit(extrasHtml, {}, /\/enrol\/extras/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'sms', 'otp'] });

    // Another day: password and the app give high.
    const later = await loginPage(identity, rp, { acr_values: 'urn:tamkeen:loa:high' });
    const appStep = (await later.agent.submit(later.html, { national_id: '900000035', password: NEW_PASSWORD })) as Response;
    expect(await appStep.clone().text()).toContain('تطبيق المصادقة');
    const nextCode = await generate({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 });
    expect(await claimsOf(later, await later.agent.submit(await appStep.text(), { code: nextCode }))).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'] });
  });
});

describe('citizen enrolment when the register cannot be reached', () => {
  let cutOff: TestIdentity;
  let cutOffRp: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    cutOff = await testIdentity('identity enrolment register down');
    await addOrganisation(cutOff.stores.knex, { id: 'mosd', nameAr: 'وزارة التنمية الاجتماعية', nameEn: 'Ministry of Social Development', kind: 'ministry' });
    cutOffRp = await addRelyingParty(cutOff.stores.knex, { organisationId: 'mosd', name: 'Cash assistance', redirectUris: [REDIRECT] });
  }, 30_000); // starts real services: seconds on a busy machine
  afterAll(() => cutOff.close());

  it('stops, and says so in plain words', async () => {
    const { agent, html } = await enrolmentPage(cutOff, cutOffRp);
    const stopped = (await agent.submit(html, { national_id: '900000027', date_of_birth: '1985-11-30', mother_first_name_ar: 'فاطمة' })) as Response;
    expect(stopped.status).toBe(503);
    expect(await stopped.text()).toContain('لا يمكن الاتصال بالسجل المدني الآن');
  });
});
