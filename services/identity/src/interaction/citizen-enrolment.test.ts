import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { citizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { testBrowser } from '../test-browser.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';

let identity: TestIdentity;
let rp: { clientId: string; clientSecret: string };
const REDIRECT = 'http://rp.test/callback';

beforeAll(async () => {
  identity = await testIdentity('identity enrolment', { withRegistry: true });
  await addOrganisation(identity.stores.knex, { id: 'mosd', nameAr: 'وزارة التنمية الاجتماعية', nameEn: 'Ministry of Social Development', kind: 'ministry' });
  rp = await addRelyingParty(identity.stores.knex, { organisationId: 'mosd', name: 'Cash assistance', redirectUris: [REDIRECT] });
  await citizenAccounts(identity.stores.knex).create({ nationalId: '900000019', nameAr: 'ليلى', nameEn: 'Layla', birthdate: '1990-04-12', phoneNumber: '+970599123456', phoneNumberVerified: true, email: null, emailVerified: false, passwordHash: await hashPassword('zaytoun-tree-1990') });
}, 30_000); // starts real services: seconds on a busy machine
afterAll(() => identity.close());

async function enrolmentPage(identity: TestIdentity, rp: { clientId: string; clientSecret: string }) {
  const config = await oidc.discovery(new URL(`${identity.url}/auth/citizen`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile phone', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const agent = testBrowser(identity.url);
  const login = (await agent.follow(await agent.go(url.toString()))) as Response;
  const loginHtml = await login.text();
  const enrolHref = /<a href="([^"]+\/enrol[^"]*)"/.exec(loginHtml)![1]!.replace(/&amp;/g, '&');
  const page = await agent.go(enrolHref);
  return { config, verifier, state, agent, html: await page.text() };
}

describe('citizen enrolment', () => {
  it('checks who you are with the register, confirms your phone with a code, takes a password, and logs you in at substantial', async () => {
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
    const callback = await agent.submit(await weak.text(), { password: 'olive-harvest-in-autumn', password_confirmation: 'olive-harvest-in-autumn' });
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
