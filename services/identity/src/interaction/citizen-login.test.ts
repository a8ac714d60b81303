import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import * as argon2 from '@node-rs/argon2';
import { testBrowser } from '@tamkeen/testing';
import { citizenAccounts } from '../accounts/citizen-accounts.js';
import { hashPassword } from '../accounts/password.js';
import { addOrganisation, addRelyingParty } from '../clients/client-registry.js';
import { authenticators } from '../authenticators/authenticators.js';
import { secretBox } from '../keys/secret-box.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';

let identity: TestIdentity;
const REDIRECT = 'http://rp.test/callback';
const PASSWORD = 'zaytoun-tree-1990';
let rp: { clientId: string; clientSecret: string };

beforeAll(async () => {
  identity = await testIdentity('identity citizen login', { withRegistry: true });
  const { knex } = identity.stores;
  await addOrganisation(knex, { id: 'mol', nameAr: 'وزارة العمل', nameEn: 'Ministry of Labour', kind: 'ministry' });
  rp = await addRelyingParty(knex, { organisationId: 'mol', name: 'Work permits', redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://rp.test/logged-out'] });
  const accounts = citizenAccounts(knex);
  const passwordHash = await hashPassword(PASSWORD);
  for (const [nationalId, nameAr, nameEn, birthdate] of [
    ['900000019', 'ليلى أحمد محمود حداد', 'Layla Ahmad Mahmoud Haddad', '1990-04-12'],
    ['900000043', 'محمود إبراهيم صالح عودة', 'Mahmoud Ibrahim Saleh Odeh', '1948-01-20'],
    ['900000050', 'رانيا سمير فتحي خليل', 'Rania Samir Fathi Khalil', '1995-08-17'],
    ['900000027', 'عمر خالد يوسف نصار', 'Omar Khaled Yousef Nassar', '1985-11-30'],
    ['900000035', 'يوسف عادل حسن البرغوثي', 'Yousef Adel Hasan Al-Barghouti', '1979-06-05'],
  ] as const) {
    await accounts.create({ nationalId, nameAr, nameEn, birthdate, phoneNumber: '+970599123456', phoneNumberVerified: true, email: null, emailVerified: false, passwordHash });
  }
}, 30_000); // starts real services: seconds on a busy machine
afterAll(() => identity.close());

async function startLogin(extra: Record<string, string> = {}, agent = testBrowser(identity.url)) {
  const config = await oidc.discovery(new URL(`${identity.url}/auth/citizen`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
  const landed = await agent.follow(await agent.go(url.toString()));
  if (typeof landed === 'string') return { config, verifier, state, agent, callback: landed, page: undefined as unknown as Response, html: '' };
  return { config, verifier, state, agent, page: landed, html: await landed.text(), callback: undefined };
}

function formOf(html: string) {
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  return { action: new URL(action, identity.url).toString(), csrf };
}

describe('citizen login with ID number and password (urn:tamkeen:loa:low)', () => {
  it('shows an Arabic, right-to-left login page with a strict Content-Security-Policy and no script', async () => {
    const { page, html } = await startLogin();
    expect(page.status).toBe(200);
    expect(html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(html).toContain('رقم الهوية');
    expect(html).not.toMatch(/<script/i);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const english = await startLogin({ ui_locales: 'en' });
    expect(english.html).toMatch(/<html lang="en" dir="ltr">/);
  });

  it('logs a citizen in, ID number typed in Arabic-Indic digits, and the relying party gets an ID token that says what happened', async () => {
    const { config, verifier, state, agent, html } = await startLogin();
    const form = formOf(html);
    const callback = await agent.follow(await agent.go(form.action, { csrf: form.csrf, national_id: '٩٠٠٠٠٠٠١٩', password: PASSWORD }));
    expect(typeof callback).toBe('string');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:low', amr: ['pwd'], name: 'ليلى أحمد محمود حداد', 'name#en': 'Layla Ahmad Mahmoud Haddad', birthdate: '1990-04-12' });
    expect(claims.sub).not.toContain('900000019');
    expect(claims).not.toHaveProperty('national_id');
    expect(typeof claims.auth_time).toBe('number');
  });

  it('sends the citizen back to the relying party right after the password: what it asked for is granted at login, with no consent step', async () => {
    const { agent, html } = await startLogin({ scope: 'openid profile phone' });
    const form = formOf(html);
    const afterPassword = await agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: PASSWORD });
    expect(afterPassword.status).toBe(303);
    const resumed = await agent.go(afterPassword.headers.get('location')!);
    expect(resumed.status).toBeGreaterThanOrEqual(300);
    expect(resumed.headers.get('location')).toMatch(/^http:\/\/rp\.test\/callback\?code=/);
  });

  it('gives a citizen’s login no API scopes, whatever the relying party asks for', async () => {
    const { config, verifier, state, agent, html } = await startLogin({ scope: 'openid payments:write', resource: `${identity.url}/payments/v1` });
    // Omar: Layla's logins in this file are near the ten-a-minute password throttle.
    const callback = await agent.submit(html, { national_id: '900000027', password: PASSWORD });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    const granted = tokens.access_token.split('.').length === 3 ? String(JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()).scope ?? '') : '';
    expect(granted.split(' ')).not.toContain('payments:write');
  });

  it('refuses a wrong password on the same page, saying so, without saying whether the account exists', async () => {
    const { agent, html } = await startLogin();
    const form = formOf(html);
    const wrong = await agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    const page = await wrong.text();
    expect(page).toContain('رقم الهوية أو كلمة المرور غير صحيحة');
    const nobody = await agent.go(form.action, { csrf: form.csrf, national_id: '123456782', password: PASSWORD });
    expect(nobody.status).toBe(401);
    expect(await nobody.text()).toContain('رقم الهوية أو كلمة المرور غير صحيحة');
  });

  it('replaces a password hash made with older argon2id parameters at the next login, and the password goes on working', async () => {
    const { knex } = identity.stores;
    const accounts = citizenAccounts(knex);
    const yousef = (await accounts.byNationalId('900000035'))!;
    const olderHash = await argon2.hash(PASSWORD, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    await accounts.replacePasswordHash(yousef.id, olderHash);
    for (let login = 0; login < 2; login++) {
      const { agent, html } = await startLogin();
      expect(typeof (await agent.submit(html, { national_id: '900000035', password: PASSWORD }))).toBe('string');
    }
    const rehashed = (await accounts.byId(yousef.id))!.passwordHash;
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=12288,t=3,p=1\$/);
    expect(rehashed).not.toBe(olderHash);
  });

  it('throttles password guessing per ID number, whether or not it has an account: past ten tries a minute, the page says to wait', async () => {
    const { agent, html } = await startLogin();
    const form = formOf(html);
    for (let i = 0; i < 10; i++) {
      const wrong = await agent.go(form.action, { csrf: form.csrf, national_id: '900000076', password: `guess-${i}` });
      expect(wrong.status).toBe(401);
    }
    const throttled = await agent.go(form.action, { csrf: form.csrf, national_id: '900000076', password: PASSWORD });
    expect(throttled.status).toBe(429);
    expect(await throttled.text()).toContain('محاولات كثيرة');
  });

  it('refuses a form without its CSRF token', async () => {
    const { agent, html } = await startLogin();
    const form = formOf(html);
    const forged = await agent.go(form.action, { csrf: 'forged', national_id: '900000019', password: PASSWORD });
    expect(forged.status).toBe(403);
  });

  it('asks the register at every login: a deceased citizen or a revoked card cannot log in, and the page says why', async () => {
    for (const [nationalId, why] of [
      ['900000043', 'متوفّى'],
      ['900000050', 'ملغاة'],
    ] as const) {
      const { agent, html } = await startLogin();
      const form = formOf(html);
      const refused = await agent.go(form.action, { csrf: form.csrf, national_id: nationalId, password: PASSWORD });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain(why);
    }
  });
});

function codeFormOf(html: string) {
  const action = /<form method="post" action="([^"]+\/code[^"]*)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  return { action: new URL(action, identity.url).toString(), csrf };
}

describe('one-time codes and step-up (urn:tamkeen:loa:substantial)', () => {
  it('asks for the password and then an SMS code when the relying party wants substantial', async () => {
    const { config, verifier, state, agent, html } = await startLogin({ acr_values: 'urn:tamkeen:loa:substantial' });
    const form = formOf(html);
    const codeStep = await agent.follow(await agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: PASSWORD }));
    const codeHtml = await (codeStep as Response).text();
    expect(codeHtml).toContain('رمز التحقق');
    expect(codeHtml).toContain('+970 ••• ••• 456');
    const sent = identity.sentCodes.at(-1)!;
    expect(sent).toMatchObject({ phoneNumber: '+970599123456', language: 'ar', code: expect.stringMatching(/^[0-9]{6}$/) });
    const codeForm = codeFormOf(codeHtml);
    const callback = await agent.follow(await agent.go(codeForm.action, { csrf: codeForm.csrf, code: sent.code }));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'] });
  });

  it('steps a low session up with the code alone, without the password again; prompt=none gets an error instead of a page', async () => {
    const first = await startLogin();
    const form = formOf(first.html);
    await first.agent.follow(await first.agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: PASSWORD }));

    const silent = await startLogin({ acr_values: 'urn:tamkeen:loa:substantial', prompt: 'none' }, first.agent);
    expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');

    const before = identity.sentCodes.length;
    const stepUp = await startLogin({ acr_values: 'urn:tamkeen:loa:substantial' }, first.agent);
    expect(stepUp.html).not.toContain('كلمة المرور');
    expect(stepUp.html).toContain('رمز التحقق');
    expect(identity.sentCodes.length).toBe(before + 1);
    const codeForm = codeFormOf(stepUp.html);
    const wrong = await stepUp.agent.go(codeForm.action, { csrf: codeForm.csrf, code: identity.sentCodes.at(-1)!.code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('الرمز غير صحيح');
    const callback = await stepUp.agent.follow(await stepUp.agent.go(codeForm.action, { csrf: codeForm.csrf, code: identity.sentCodes.at(-1)!.code }));
    const tokens = await oidc.authorizationCodeGrant(stepUp.config, new URL(callback as string), { pkceCodeVerifier: stepUp.verifier, expectedState: stepUp.state });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'] });
  });
});

describe('forced re-login', () => {
  it('asks for the password again when the relying party says prompt=login, even while stepping up', async () => {
    const first = await startLogin();
    await first.agent.submit(first.html, { national_id: '900000019', password: PASSWORD });
    const again = await startLogin({ acr_values: 'urn:tamkeen:loa:substantial', prompt: 'login' }, first.agent);
    expect(again.html).toContain('كلمة المرور');
    expect(again.html).toMatch(/action="[^"]+\/login\?/);
  });
});

/** Logs Layla in (password only) with `extra` authorization parameters; returns the tokens and the browser. */
async function loggedIn(extra: Record<string, string> = {}) {
  const login = await startLogin(extra);
  const form = formOf(login.html);
  const callback = await login.agent.follow(await login.agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: PASSWORD }));
  const tokens = await oidc.authorizationCodeGrant(login.config, new URL(callback as string), { pkceCodeVerifier: login.verifier, expectedState: login.state });
  return { ...login, tokens };
}

describe('pushed authorization requests (PAR)', () => {
  it('accept the request by the back channel and log the citizen in with only its request_uri in the browser', async () => {
    const config = await oidc.discovery(new URL(`${identity.url}/auth/citizen`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, { redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const agent = testBrowser(identity.url);
    const page = (await agent.follow(await agent.go(url.toString()))) as Response;
    const form = formOf(await page.text());
    const callback = await agent.follow(await agent.go(form.action, { csrf: form.csrf, national_id: '900000019', password: PASSWORD }));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback as string), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:low' });
  });
});

describe('after login: refresh, revocation, introspection, logout', () => {
  it('rotates refresh tokens, and a spent one presented again revokes the grant', async () => {
    const { config, tokens } = await loggedIn({ scope: 'openid profile offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:low', sub: tokens.claims()!.sub });
    // The first refresh token again: refused, and the second one dies with the grant.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('introspects and revokes tokens for the relying party that holds them', async () => {
    const { config, tokens } = await loggedIn({ scope: 'openid profile offline_access', prompt: 'consent' });
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true, client_id: rp.clientId });
    await oidc.tokenRevocation(config, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: false });
  });

  it('logs out when the relying party asks and the citizen confirms, then returns to the relying party', async () => {
    const { config, tokens, agent } = await loggedIn();
    const endSession = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/logged-out', state: 'bye' });
    const confirm = await agent.go(endSession.toString());
    const html = await confirm.text();
    expect(html).toMatch(/dir="rtl"/);
    expect(confirm.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), identity.url).toString();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const done = await agent.go(action, { xsrf, logout: 'yes' });
    const back = await agent.follow(done);
    expect(back).toBe('http://rp.test/logged-out?state=bye');
    // The session is gone: a silent login now needs the citizen.
    const silent = await startLogin({ prompt: 'none' }, agent);
    expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');
  });
});

/** The code an authenticator app with this key shows `stepsAhead` 30-second steps from now. */
const appCode = (key: string, stepsAhead = 0) => generate({ secret: key.replace(/ /g, ''), epoch: Math.floor(Date.now() / 1000) + 30 * stepsAhead });

/** Logs a citizen in with the password, the relying party asking for `acr`; returns the page that follows. */
async function afterPassword(nationalId: string, acr: string, agent = testBrowser(identity.url), extra: Record<string, string> = {}) {
  const login = await startLogin({ acr_values: acr, ...extra }, agent);
  const next = await login.agent.submit(login.html, { national_id: nationalId, password: PASSWORD });
  return { ...login, next: next as Response };
}

async function idTokenClaims(login: { config: oidc.Configuration; verifier: string; state: string }, callback: Response | string) {
  expect(typeof callback).toBe('string');
  const tokens = await oidc.authorizationCodeGrant(login.config, new URL(callback as string), { pkceCodeVerifier: login.verifier, expectedState: login.state });
  return tokens.claims()!;
}

describe('authenticator app (urn:tamkeen:loa:high)', () => {
  let omarsKey: string;
  let omarsLastCode: string;

  it('links an app when high is asked of a citizen who has none: password, then the SMS code (never enough for high), then the QR code and the app\'s first code', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:high');
    const smsPage = await login.next.text();
    expect(smsPage).toContain('رمز التحقق');
    const setup = (await login.agent.submit(smsPage, { code: identity.sentCodes.at(-1)!.code }, /\/code/)) as Response;
    expect(new URL(setup.url).pathname).toMatch(/\/app\/setup$/);
    const html = await setup.text();
    expect(setup.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<figure class="qr" role="img" aria-label="[^"]+"><svg/);
    omarsKey = /id="authenticator_key">([A-Z2-7 ]+)</.exec(html)![1]!;
    expect(omarsKey.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);

    const wrong = (await login.agent.submit(html, { code: (await appCode(omarsKey)) === '000000' ? '111111' : '000000' })) as Response;
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    expect(again).toContain('الرمز غير صحيح');
    // The same key is shown again: a wrong code does not start the set-up over.
    expect(again).toContain(omarsKey);

    omarsLastCode = await appCode(omarsKey);
    const claims = await idTokenClaims(login, await login.agent.submit(again, { code: omarsLastCode }));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'sms', 'otp'] });
  });

  it('keeps the key sealed in the database, never in the clear', async () => {
    const rows = await identity.stores.knex('authenticators').select('secret_sealed', 'state');
    expect(rows).toContainEqual(expect.objectContaining({ state: 'active' }));
    for (const row of rows) expect(row.secret_sealed).not.toContain(omarsKey.replace(/ /g, ''));
  });

  it('then asks for the app, not a text message: password and app give high even when substantial was asked; a code is accepted once', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:substantial');
    const html = await login.next.text();
    expect(html).toContain('تطبيق المصادقة');
    // Substantial is enough for this service, so a text message is offered instead.
    expect(html).toMatch(/href="[^"]+\/code\?lang=ar"/);
    const replayed = (await login.agent.submit(html, { code: omarsLastCode })) as Response;
    expect(replayed.status).toBe(400);
    const claims = await idTokenClaims(login, await login.agent.submit(await replayed.text(), { code: await appCode(omarsKey, 1) }));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'] });
  });

  it('steps a session up to high with the app code alone, and offers no text message when high is asked', async () => {
    const { knex } = identity.stores;
    const yousef = (await citizenAccounts(knex).byNationalId('900000035'))!;
    // Yousef linked his app earlier.
    const store = authenticators(knex, secretBox(['test-authenticator-key-0123456789abcdef0123']));
    const { secret } = await store.pending(yousef.id, yousef.nameEn, 'earlier-login');
    expect(await store.confirm(yousef.id, await generate({ secret }), 'earlier-login')).toEqual({ ok: true });

    const first = await startLogin();
    await first.agent.submit(first.html, { national_id: '900000035', password: PASSWORD });
    const before = identity.sentCodes.length;
    const stepUp = await startLogin({ acr_values: 'urn:tamkeen:loa:high' }, first.agent);
    expect(stepUp.html).toContain('تطبيق المصادقة');
    expect(stepUp.html).not.toContain('كلمة المرور');
    expect(stepUp.html).not.toMatch(/href="[^"]+\/code\?/);
    expect(identity.sentCodes.length).toBe(before);
    const claims = await idTokenClaims(stepUp, await stepUp.agent.submit(stepUp.html, { code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) }));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'] });
  });

  it('stops the app\'s codes for 15 minutes after five wrong ones', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:high');
    let html = await login.next.text();
    const right = await appCode(omarsKey);
    const wrongCode = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      const wrong = (await login.agent.submit(html, { code: wrongCode })) as Response;
      expect(wrong.status).toBe(400);
      html = await wrong.text();
    }
    const locked = (await login.agent.submit(html, { code: wrongCode })) as Response;
    expect(locked.status).toBe(429);
    const stillLocked = (await login.agent.submit(html, { code: await appCode(omarsKey, 1) })) as Response;
    expect(stillLocked.status).toBe(429);
  });
});

describe('one-time codes by e-mail (urn:tamkeen:loa:substantial, never high)', () => {
  const OMARS_EMAIL = 'omar.nassar@example.ps';
  const YOUSEFS_EMAIL = 'yousef@example.de';
  /** Whether the page links to this channel's code page. */
  const offers = (html: string, page: 'code' | 'email-code') => new RegExp(`<a href="[^"]+/${page}\\?lang=ar">`).test(html);

  beforeAll(async () => {
    const { knex } = identity.stores;
    const accounts = citizenAccounts(knex);
    const omar = (await accounts.byNationalId('900000027'))!;
    const yousef = (await accounts.byNationalId('900000035'))!;
    // Both linked an app in the tests above; here they have none. Omar has a phone and an e-mail
    // address; Yousef, abroad, an e-mail address only.
    await knex('authenticators').whereIn('subject', [omar.id, yousef.id]).delete();
    await accounts.confirmEmail(omar.id, OMARS_EMAIL);
    await accounts.confirmEmail(yousef.id, YOUSEFS_EMAIL);
    await knex('citizen_accounts').where({ id: yousef.id }).update({ phone_number: null, phone_number_verified: false });
  });

  it('sends the code by e-mail instead when the citizen asks on the SMS page: password and e-mail code, substantial with amr email, and email_verified with the email scope', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:substantial', undefined, { scope: 'openid profile email' });
    const smsHtml = await login.next.text();
    expect(smsHtml).toContain('+970 ••• ••• 456');
    expect(offers(smsHtml, 'email-code')).toBe(true);
    const byEmail = (await login.agent.go(/<a href="([^"]+\/email-code\?lang=ar)">أرسل الرمز بالبريد الإلكتروني بدلًا من ذلك</.exec(smsHtml)![1]!)) as Response;
    expect(byEmail.status).toBe(200);
    const emailHtml = await byEmail.text();
    expect(emailHtml).toContain('أرسلنا رمزًا من ستة أرقام بالبريد الإلكتروني إلى');
    expect(emailHtml).toContain('o•••@example.ps');
    expect(emailHtml).not.toContain(OMARS_EMAIL);
    expect(offers(emailHtml, 'code')).toBe(true);
    const sent = identity.sentCodes.at(-1)!;
    expect(sent).toMatchObject({ channel: 'email', emailAddress: OMARS_EMAIL, language: 'ar' });
    const claims = await idTokenClaims(login, await login.agent.submit(emailHtml, { code: sent.code }, /\/email-code/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'email'], email: OMARS_EMAIL, email_verified: true });
  });

  it('sends a citizen without a phone the code by e-mail at once, and releases the address only with the email scope', async () => {
    const login = await afterPassword('900000035', 'urn:tamkeen:loa:substantial');
    const html = await login.next.text();
    // The answer to the password form is the e-mail code's page itself.
    expect(html).toMatch(/<form method="post" action="[^"]+\/email-code\?lang=ar"/);
    expect(html).toContain('y•••@example.de');
    expect(offers(html, 'code')).toBe(false);
    expect(identity.sentCodes.at(-1)).toMatchObject({ channel: 'email', emailAddress: YOUSEFS_EMAIL });
    const claims = await idTokenClaims(login, await login.agent.submit(html, { code: identity.sentCodes.at(-1)!.code }, /\/email-code/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'email'] });
    expect(claims).not.toHaveProperty('email');
  });

  it('steps a low session up to substantial with the e-mail code alone, without the password', async () => {
    const first = await startLogin();
    expect(typeof (await first.agent.submit(first.html, { national_id: '900000035', password: PASSWORD }))).toBe('string');
    const stepUp = await startLogin({ acr_values: 'urn:tamkeen:loa:substantial' }, first.agent);
    expect(stepUp.html).not.toContain('كلمة المرور');
    expect(stepUp.html).toContain('y•••@example.de');
    const wrong = (await stepUp.agent.submit(stepUp.html, { code: identity.sentCodes.at(-1)!.code === '000000' ? '111111' : '000000' }, /\/email-code/)) as Response;
    expect(wrong.status).toBe(400);
    const claims = await idTokenClaims(stepUp, await stepUp.agent.submit(await wrong.text(), { code: identity.sentCodes.at(-1)!.code }, /\/email-code/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'email'] });
  });

  it('never gives high: when high is asked the SMS page offers no e-mail, and an e-mail code leads to the app, which it cannot link', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:high');
    const smsHtml = await login.next.text();
    expect(offers(smsHtml, 'email-code')).toBe(false);
    const interactionPath = /<form method="post" action="([^"]+)\/code\?lang=ar"/.exec(smsHtml)![1]!;
    const emailPage = (await login.agent.go(`${interactionPath}/email-code`)) as Response;
    const afterEmail = (await login.agent.submit(await emailPage.text(), { code: identity.sentCodes.at(-1)!.code }, /\/email-code/)) as Response;
    expect(typeof afterEmail).not.toBe('string');
    expect(new URL(afterEmail.url).pathname).toMatch(/\/app\/setup$/);
    expect(afterEmail.status).toBe(403);
    expect(await afterEmail.text()).toContain('يلزم أولًا الرمز المرسل إلى هاتفك');

    // The same for a citizen without a phone: the e-mail code, then no way to high.
    const abroad = await afterPassword('900000035', 'urn:tamkeen:loa:high');
    const abroadHtml = await abroad.next.text();
    const refused = (await abroad.agent.submit(abroadHtml, { code: identity.sentCodes.at(-1)!.code }, /\/email-code/)) as Response;
    expect(refused.status).toBe(403);
  });

  it('offers an e-mail code instead of the app to a citizen without a phone, when substantial is enough', async () => {
    const { knex } = identity.stores;
    const yousef = (await citizenAccounts(knex).byNationalId('900000035'))!;
    const store = authenticators(knex, secretBox(['test-authenticator-key-0123456789abcdef0123']));
    const { secret } = await store.pending(yousef.id, yousef.nameEn, 'earlier-login');
    expect(await store.confirm(yousef.id, await generate({ secret }), 'earlier-login')).toEqual({ ok: true });
    const login = await afterPassword('900000035', 'urn:tamkeen:loa:substantial');
    const appHtml = await login.next.text();
    expect(appHtml).toContain('تطبيق المصادقة');
    const instead = /<a href="([^"]+\/email-code\?lang=ar)">ليس معك التطبيق؟ أرسل رمزًا بالبريد الإلكتروني بدلًا منه</.exec(appHtml);
    expect(instead).not.toBeNull();
    const emailPage = (await login.agent.go(instead![1]!)) as Response;
    const claims = await idTokenClaims(login, await login.agent.submit(await emailPage.text(), { code: identity.sentCodes.at(-1)!.code }, /\/email-code/));
    expect(claims).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'email'] });
  });

  it('stops codes on every channel for 15 minutes after five wrong e-mail codes', async () => {
    const login = await afterPassword('900000027', 'urn:tamkeen:loa:substantial');
    const smsHtml = await login.next.text();
    const emailPage = (await login.agent.go(/<a href="([^"]+\/email-code\?lang=ar)">/.exec(smsHtml)![1]!)) as Response;
    let html = await emailPage.text();
    const wrongCode = identity.sentCodes.at(-1)!.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      const wrong = (await login.agent.submit(html, { code: wrongCode }, /\/email-code/)) as Response;
      expect(wrong.status).toBe(400);
      html = await wrong.text();
    }
    const locked = (await login.agent.submit(html, { code: wrongCode }, /\/email-code/)) as Response;
    expect(locked.status).toBe(429);
    // Switching to SMS gives no more guesses.
    const bySms = await login.agent.go(/<a href="([^"]+\/code\?lang=ar)">/.exec(html)![1]!);
    expect(bySms.status).toBe(429);
    expect(await bySms.text()).toContain('ربع ساعة');
  });
});
