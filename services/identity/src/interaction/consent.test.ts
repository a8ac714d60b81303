import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { testBrowser } from '@tamkeen/testing';
import { citizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';

let identity: TestIdentity;
const PASSWORD = 'zaytoun-tree-1990';
let bank: { clientId: string; clientSecret: string };
let ministry: { clientId: string; clientSecret: string };

beforeAll(async () => {
  identity = await testIdentity('identity consent', { withRegistry: true });
  const { knex } = identity.stores;
  await addOrganisation(knex, { id: 'bop', nameAr: 'بنك فلسطين', nameEn: 'Bank of Palestine', kind: 'business' });
  await addOrganisation(knex, { id: 'mol', nameAr: 'وزارة العمل', nameEn: 'Ministry of Labour', kind: 'ministry' });
  bank = await addRelyingParty(knex, { organisationId: 'bop', name: 'Open an account', redirectUris: ['http://bank.test/callback'] });
  ministry = await addRelyingParty(knex, { organisationId: 'mol', name: 'Work permits', redirectUris: ['http://rp.test/callback'] });
  await citizenAccounts(knex).create({
    nationalId: '900000019',
    nameAr: 'ليلى أحمد محمود حداد',
    nameEn: 'Layla Ahmad Mahmoud Haddad',
    birthdate: '1990-04-12',
    phoneNumber: '+970599123456',
    phoneNumberVerified: true,
    email: null,
    emailVerified: false,
    passwordHash: await hashPassword(PASSWORD),
  });
}, 30_000); // starts real services: seconds on a busy machine
afterAll(() => identity.close());

/** A login at `client` in `agent`, up to the first page after the password (or back at the relying party). */
async function afterPassword(client: { clientId: string; clientSecret: string }, redirectUri: string, agent: ReturnType<typeof testBrowser>, extra: Record<string, string> = {}) {
  const config = await oidc.discovery(new URL(`${identity.url}/auth/citizen`), client.clientId, client.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid profile phone', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
  let landed = await agent.follow(await agent.go(url.toString()));
  if (typeof landed !== 'string') {
    const html = await landed.text();
    if (html.includes('name="password"')) landed = await agent.submit(html, { national_id: '900000019', password: PASSWORD });
    else return { config, verifier, state, landed: html };
  }
  return { config, verifier, state, landed: typeof landed === 'string' ? landed : await landed.text() };
}

describe("a business's relying party (third party) on the citizen issuer", () => {
  it('asks the citizen, in Arabic and without script, what the business may know, and Allow gives the relying party those details', async () => {
    const agent = testBrowser(identity.url, 'http://bank.test/');
    const { config, verifier, state, landed } = await afterPassword(bank, 'http://bank.test/callback', agent);
    expect(landed).toMatch(/<html lang="ar" dir="rtl">/);
    expect(landed).toContain('بنك فلسطين');
    expect(landed).toContain('Open an account');
    expect(landed).toContain('ليست جهة حكومية');
    expect(landed).toContain('اسمك الكامل');
    expect(landed).toContain('رقم هاتفك المحمول');
    expect(landed).not.toContain('رقم هويتك</li>');
    expect(landed).not.toMatch(/<script/i);

    const callback = await agent.submit(landed, { decision: 'allow' });
    expect(callback).toMatch(/^http:\/\/bank\.test\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ name: 'ليلى أحمد محمود حداد', phone_number: '+970599123456' });

    // Allowed once in this session: the next login to the same business goes straight back.
    const again = await afterPassword(bank, 'http://bank.test/callback', agent);
    expect(again.landed).toMatch(/^http:\/\/bank\.test\/callback\?code=/);
    // Something new asked for (the national ID number): asked again, for that only.
    const more = await afterPassword(bank, 'http://bank.test/callback', agent, { scope: 'openid profile phone national_id' });
    expect(more.landed).toContain('رقم هويتك');
    expect(more.landed).not.toContain('رقم هاتفك المحمول');
  });

  it("sends the citizen back with access_denied when they don't allow, and the business learns nothing", async () => {
    const agent = testBrowser(identity.url, 'http://bank.test/');
    const { landed } = await afterPassword(bank, 'http://bank.test/callback', agent, { ui_locales: 'en' });
    expect(landed).toContain('Bank of Palestine');
    expect(landed).toContain('is not a government body');
    const back = await agent.submit(landed, { decision: 'deny' });
    const answer = new URL(back as string);
    expect(answer.searchParams.get('error')).toBe('access_denied');
    expect(answer.searchParams.has('code')).toBe(false);
  });

  it('refuses a consent form without its CSRF token, and answers prompt=none with consent_required rather than a page', async () => {
    const agent = testBrowser(identity.url, 'http://bank.test/');
    const { landed } = await afterPassword(bank, 'http://bank.test/callback', agent);
    const action = /<form method="post" action="([^"]+)"/.exec(landed)![1]!.replace(/&amp;/g, '&');
    expect((await agent.go(action, { csrf: 'forged', decision: 'allow' })).status).toBe(403);
    // Nor is the consent step a second chance to log in (as someone else): the login form is refused there.
    const csrf = /name="csrf" value="([^"]+)"/.exec(landed)![1]!;
    const relogin = await agent.go(action.replace(/\/consent\?/, '/login?'), { csrf, national_id: '900000019', password: PASSWORD });
    expect(relogin.status).toBe(400);

    const silent = await afterPassword(bank, 'http://bank.test/callback', testBrowser(identity.url, 'http://bank.test/'), { prompt: 'none' });
    expect(new URL(silent.landed).searchParams.get('error')).toBe('login_required');
    // Logged in, but the business not yet allowed: consent_required.
    const loggedIn = testBrowser(identity.url, ['http://rp.test/', 'http://bank.test/']);
    const atMinistry = await afterPassword(ministry, 'http://rp.test/callback', loggedIn);
    expect(atMinistry.landed).toMatch(/^http:\/\/rp\.test\/callback\?code=/);
    const bankSilently = await afterPassword(bank, 'http://bank.test/callback', loggedIn, { prompt: 'none' });
    expect(new URL(bankSilently.landed).searchParams.get('error')).toBe('consent_required');
  });

  it("never asks for a ministry's relying party: the government's own services get what they ask for at login", async () => {
    const agent = testBrowser(identity.url, 'http://rp.test/');
    const { landed } = await afterPassword(ministry, 'http://rp.test/callback', agent);
    expect(landed).toMatch(/^http:\/\/rp\.test\/callback\?code=/);
  });
});
