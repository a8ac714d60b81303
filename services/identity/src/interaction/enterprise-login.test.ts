import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { testBrowser } from '@tamkeen/testing';
import { enterpriseUsers } from '../accounts/enterprise-users.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';

let identity: TestIdentity;
const REDIRECT = 'http://rp.test/finance/callback';
const PASSWORD = 'olive-press-2026';
let rp: { clientId: string; clientSecret: string };

beforeAll(async () => {
  identity = await testIdentity('identity enterprise login');
  const { knex } = identity.stores;
  await addOrganisation(knex, { id: 'mof', nameAr: 'وزارة المالية', nameEn: 'Ministry of Finance', kind: 'ministry' });
  rp = await addRelyingParty(knex, { organisationId: 'mof', name: 'Finance console', redirectUris: [REDIRECT], issuer: 'enterprise' });
  await enterpriseUsers(knex).create({ organisationId: 'mof', email: 'Amal.Haddad@mof.gov.ps', name: 'Amal Haddad', passwordHash: await hashPassword(PASSWORD), roles: ['finance_officer'] });
  await enterpriseUsers(knex).create({ organisationId: 'mof', email: 'bassam@mof.gov.ps', name: 'Bassam Odeh', passwordHash: await hashPassword(PASSWORD), roles: ['developer'] });
}, 30_000);
afterAll(() => identity.close());

async function startLogin(extra: Record<string, string> = {}) {
  const agent = testBrowser(identity.url);
  const config = await oidc.discovery(new URL(`${identity.url}/auth/enterprise`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile email', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
  const page = (await agent.follow(await agent.go(url.toString()))) as Response;
  return { agent, config, verifier, state, page, html: await page.text() };
}

async function tokensOf(login: { config: oidc.Configuration; verifier: string; state: string }, callback: Response | string) {
  expect(typeof callback).toBe('string');
  return oidc.authorizationCodeGrant(login.config, new URL(callback as string), { pkceCodeVerifier: login.verifier, expectedState: login.state });
}

describe('staff login on the enterprise issuer: e-mail, password and a mandatory authenticator app', () => {
  let key: string;

  it('links the app at the first login, and the ID token says high, the organisation and the roles', async () => {
    const login = await startLogin();
    expect(login.page.status).toBe(200);
    expect(login.html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(login.html).toContain('البريد الإلكتروني');
    expect(login.page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);

    const setup = (await login.agent.submit(login.html, { email: ' amal.haddad@MOF.gov.ps ', password: PASSWORD })) as Response;
    expect(new URL(setup.url).pathname).toMatch(/\/auth\/enterprise\/interaction\/[^/]+\/app\/setup$/);
    const html = await setup.text();
    expect(html).toContain('حسابات موظفي الجهات تحتاج تطبيق مصادقة');
    expect(html).toMatch(/<svg/);
    key = /id="authenticator_key">([A-Z2-7 ]+)</.exec(html)![1]!.replace(/ /g, '');

    const tokens = await tokensOf(login, await login.agent.submit(html, { code: await generate({ secret: key }) }));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'], email: 'amal.haddad@mof.gov.ps', name: 'Amal Haddad', organisation_id: 'mof', roles: ['finance_officer'] });
  });

  it('asks for the app\'s code at later logins, never links a second app, and gives API tokens only the scopes the roles allow', async () => {
    const login = await startLogin({ scope: 'openid payments:read payments:write reconciliation:read', resource: `${identity.url}/payments/v1` });
    const appPage = (await login.agent.submit(login.html, { email: 'amal.haddad@mof.gov.ps', password: PASSWORD })) as Response;
    // The answer to the password form is the app's code page itself.
    const html = await appPage.text();
    expect(html).toContain('تطبيق المصادقة');
    expect(html).toMatch(/<form method="post" action="[^"]+\/app\?lang=ar"/);

    const uid = /interaction\/([^/]+)\/app\?/.exec(html)![1]!;
    const takeover = await login.agent.go(`/auth/enterprise/interaction/${uid}/app/setup`);
    expect(takeover.status).toBe(409);

    const next = await generate({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 });
    const tokens = await tokensOf(login, await login.agent.submit(html, { code: next }));
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${identity.url}/auth/enterprise/jwks`)), { issuer: `${identity.url}/auth/enterprise`, audience: `${identity.url}/payments/v1` });
    expect(payload).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'], organisation_id: 'mof', roles: ['finance_officer'] });
    expect(typeof payload.auth_time).toBe('number');
    // A finance officer may read payments and reconcile; taking payments is not theirs to do.
    expect(String(payload.scope).split(' ').sort()).toEqual(['payments:read', 'reconciliation:read']);
  });

  it('links only the key shown in the login that confirms it: a key seen in another attempt and left unconfirmed is never linked', async () => {
    const keyOf = (html: string) => /id="authenticator_key">([A-Z2-7 ]+)</.exec(html)![1]!.replace(/ /g, '');
    const first = await startLogin();
    const firstSetup = await ((await first.agent.submit(first.html, { email: 'bassam@mof.gov.ps', password: PASSWORD })) as Response).text();
    const seen = keyOf(firstSetup);

    const second = await startLogin();
    const secondSetup = await ((await second.agent.submit(second.html, { email: 'bassam@mof.gov.ps', password: PASSWORD })) as Response).text();
    const shown = keyOf(secondSetup);
    expect(shown).not.toBe(seen);
    const withSeen = (await second.agent.submit(secondSetup, { code: await generate({ secret: seen }) })) as Response;
    expect(withSeen.status).toBe(400);
    // The first attempt's set-up is over: its key links nothing either.
    const stale = (await first.agent.submit(firstSetup, { code: await generate({ secret: seen }) })) as Response;
    expect(stale.status).toBe(400);

    const tokens = await tokensOf(second, await second.agent.submit(await withSeen.text(), { code: await generate({ secret: shown }) }));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:high', roles: ['developer'] });
  });

  it("gives no API scopes through another organisation's relying party: a business's console cannot act for a ministry's staff", async () => {
    const { knex } = identity.stores;
    await addOrganisation(knex, { id: 'shop', nameAr: 'متجر', nameEn: 'A shop', kind: 'business' });
    const theirs = await addRelyingParty(knex, { organisationId: 'shop', name: 'Shop console', redirectUris: ['http://shop.test/callback'], issuer: 'enterprise' });
    const agent = testBrowser(identity.url, 'http://shop.test/');
    const config = await oidc.discovery(new URL(`${identity.url}/auth/enterprise`), theirs.clientId, theirs.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: 'http://shop.test/callback', scope: 'openid payments:read reconciliation:read', resource: `${identity.url}/payments/v1`, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's' });
    const page = await ((await agent.follow(await agent.go(url.toString()))) as Response).text();
    const appPage = await ((await agent.submit(page, { email: 'amal.haddad@mof.gov.ps', password: PASSWORD })) as Response).text();
    // Amal's app, its last code forgotten so that this step's code counts.
    const amal = (await enterpriseUsers(knex).byEmail('amal.haddad@mof.gov.ps'))!;
    await knex('authenticators').where({ subject: amal.id }).update({ last_time_step: null });
    const callback = await agent.submit(appPage, { code: await generate({ secret: key }) });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: 's' });
    expect(tokens.claims()).toMatchObject({ sub: amal.id, organisation_id: 'mof' });
    // The access token (if one is given for the API at all) carries none of its scopes.
    const granted = tokens.access_token.split('.').length === 3 ? String(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()).scope ?? '') : '';
    expect(granted.split(' ')).not.toContain('payments:read');
    expect(granted.split(' ')).not.toContain('reconciliation:read');
  });

  it('refuses a wrong password and an unknown address alike', async () => {
    for (const email of ['amal.haddad@mof.gov.ps', 'nobody@mof.gov.ps']) {
      const login = await startLogin();
      const refused = (await login.agent.submit(login.html, { email, password: 'not-the-password' })) as Response;
      expect(refused.status).toBe(401);
      expect(await refused.text()).toContain('البريد الإلكتروني أو كلمة المرور غير صحيحة');
    }
  });
});
