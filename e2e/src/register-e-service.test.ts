import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations, testBrowser } from '@tamkeen/testing';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { startPlatform, type RunningPlatform } from './platform.js';

// README, "For a ministry developer" → "Register your e-service yourself": the operator adds the
// organisation, its console and its first admin; the admin logs in (the authenticator app linked
// at the first login), gets a token for the identity API by hand (authorization code with PKCE,
// as the README's curl does), registers the e-service, and a citizen logs in to it.

let platform: RunningPlatform;
beforeAll(async () => {
  platform = await startPlatform('e2e register e-service');
}, 120_000);
afterAll(() => platform?.stop(), 30_000);

const admin = (args: string[]) => platform.command('identity', 'admin.js', args);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const violations = (schema: string, body: unknown) => schemaViolations('identity.yaml', `#/components/schemas/${schema}`, body);
/** The page the browser stopped at, or fails saying it was sent back to the relying party instead. */
async function aPage(result: Response | string, expected: string) {
  if (typeof result === 'string') throw new Error(`expected ${expected}, but the browser was sent back to the relying party`);
  return { url: result.url, status: result.status, html: await result.text() };
}
/** The relying party's address, or fails with the page the browser stopped at instead. */
async function backAtRelyingParty(result: Response | string): Promise<string> {
  if (typeof result !== 'string') {
    const html = await result.text();
    throw new Error(`expected to be sent back to the relying party, but stopped at ${result.url} (${result.status}): ${/<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? ''} ${/role="alert"[^>]*>([^<]*)</.exec(html)?.[1] ?? ''}`);
  }
  return result;
}
/** An answer as an assertion may print it: never a secret. */
const shown = ({ status, body }: { status: number; body?: Record<string, unknown> }) => ({ status, body: body && { ...body, client_secret: body.client_secret === undefined ? undefined : '(a secret)' } });

describe('a ministry developer registers their e-service by themselves, as the README tells it', () => {
  it('the org admin logs in, gets a token for the identity API, registers a relying party, and a citizen logs in to it', async () => {
    // The operator, once: the organisation, a console its staff log in through, its first admin.
    await admin(['organisation', 'add', '--id', 'mol', '--name-ar', 'وزارة العمل', '--name-en', 'Ministry of Labour']);
    // Run again (the README says to skip it then): a plain answer, nothing changed.
    await expect(admin(['organisation', 'add', '--id', 'mol', '--name-ar', 'وزارة العمل', '--name-en', 'Ministry of Labour'])).rejects.toThrow(/there is an organisation mol already: nothing was changed/);
    const console_ = JSON.parse(await admin(['relying-party', 'add', '--organisation', 'mol', '--name', 'Developer console', '--redirect-uri', 'http://localhost:3000/callback', '--issuer', 'enterprise'])) as { client_id: string; client_secret: string; issuer: string };
    expect(console_.issuer).toBe('enterprise');
    const email = 's.odeh@mol.gov.ps';
    const password = 'almond-blossom-2026';
    const user = JSON.parse(await admin(['user', 'add', '--organisation', 'mol', '--email', email, '--name', 'Sami Odeh', '--roles', 'org_admin', '--password', password])) as { sub: string; roles: string[] };
    expect(user.roles).toEqual(['org_admin']);

    // The admin, by hand: PKCE, the authorization URL as the README writes it, then the browser.
    const verifier = randomBytes(48).toString('base64').replace(/[=+/]/g, '');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const identityApi = `${platform.gateway}/identity/v1`;
    const authorizationUrl =
      `${platform.gateway}/auth/enterprise/auth?client_id=${console_.client_id}&response_type=code&scope=openid%20clients%3Aread%20clients%3Awrite` +
      `&resource=${encodeURIComponent(identityApi)}&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&code_challenge=${challenge}&code_challenge_method=S256`;
    const browser = testBrowser(platform.gateway, 'http://localhost:3000/callback');
    const login = await aPage(await browser.follow(await browser.go(authorizationUrl)), 'the staff login page');
    expect(login.status).toBe(200);
    expect(login.html).toContain('دخول الموظفين');
    const setup = await aPage(await browser.submit(login.html, { email, password }), 'the authenticator app set-up');
    expect(setup.html).toContain('اربط تطبيق مصادقة');
    // The key under the QR code, in groups of four, typed into the "app".
    const key = /id="authenticator_key">([A-Z2-7 ]+)</.exec(setup.html)?.[1];
    expect(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/.test(key ?? '')).toBe(true);
    const landed = new URL(await backAtRelyingParty(await browser.submit(setup.html, { code: await generate({ secret: key!.replace(/ /g, '') }) })));
    const code = landed.searchParams.get('code');
    expect(code === null).toBe(false);

    const tokenResponse = await fetch(`${platform.gateway}/auth/enterprise/token`, {
      method: 'POST',
      headers: { authorization: basic(console_.client_id, console_.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: 'http://localhost:3000/callback', code_verifier: verifier }).toString(),
    });
    expect(tokenResponse.status).toBe(200);
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    expect(claimsOf(token)).toMatchObject({ aud: identityApi, organisation_id: 'mol', acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'] });
    expect(String(claimsOf(token).scope).split(' ')).toEqual(expect.arrayContaining(['clients:read', 'clients:write']));

    // The identity API through the gateway, with the README's bodies.
    const api = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${identityApi}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>) };
    };
    const callback = 'https://permits.mol.gov.ps/callback';
    const created = await api('POST', '/clients', { kind: 'relying_party', name: 'Work permits', issuer: 'citizen', redirect_uris: [callback], post_logout_redirect_uris: ['https://permits.mol.gov.ps/'] });
    expect(shown(created)).toMatchObject({ status: 201, body: { kind: 'relying_party', issuer: 'citizen', name: 'Work permits', redirect_uris: [callback], client_secret: '(a secret)' } });
    expect(violations('ClientWithSecret', created.body)).toEqual([]);
    const rp = { id: String(created.body!.client_id), secret: String(created.body!.client_secret) };
    expect(rp.id).toMatch(/^mol-[0-9a-f]{8}$/);
    const machine = await api('POST', '/clients', { kind: 'machine', name: 'Permit notices', scopes: ['notifications:send'] });
    expect(shown(machine)).toMatchObject({ status: 201, body: { kind: 'machine', scopes: ['notifications:send'], client_secret: '(a secret)' } });
    const listed = await api('GET', '/clients');
    expect(listed.status).toBe(200);
    const clients = listed.body!.clients as Array<Record<string, unknown>>;
    expect(clients.map((c) => c.client_id)).toEqual(expect.arrayContaining([console_.client_id, rp.id, machine.body!.client_id]));
    expect(JSON.stringify(listed.body).includes('secret"')).toBe(false);

    // A demo citizen (an account as the README's operator command gives it) logs in to the new service.
    await admin(['citizen', 'add', '--national-id', '900000019', '--password', 'zaytoun-tree-1990', '--phone', '+970599123456']);
    const config = await oidc.discovery(new URL(`${platform.gateway}/auth/citizen`), rp.id, rp.secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const citizenVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const citizenUrl = oidc.buildAuthorizationUrl(config, { redirect_uri: callback, scope: 'openid profile phone', code_challenge: await oidc.calculatePKCECodeChallenge(citizenVerifier), code_challenge_method: 'S256', state });
    const citizen = testBrowser(platform.gateway, callback);
    const citizenLogin = await aPage(await citizen.follow(await citizen.go(citizenUrl.toString())), 'the citizen login page');
    expect(citizenLogin.html).toContain('رقم الهوية');
    const back = await backAtRelyingParty(await citizen.submit(citizenLogin.html, { national_id: '900000019', password: 'zaytoun-tree-1990' }));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back), { pkceCodeVerifier: citizenVerifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ aud: rp.id, name: 'ليلى أحمد محمود حداد', phone_number: '+970599123456', acr: 'urn:tamkeen:loa:low', amr: ['pwd'] });
    // `sub` is never the ID number.
    expect(tokens.claims()!.sub === '900000019').toBe(false);

    // The rest of the README's calls: change, rotate, audit, remove.
    const changed = await api('PATCH', `/clients/${rp.id}`, { redirect_uris: ['https://permits.mol.gov.ps/v2/callback'] });
    expect(changed).toMatchObject({ status: 200, body: { redirect_uris: ['https://permits.mol.gov.ps/v2/callback'] } });
    const rotated = await api('POST', `/clients/${rp.id}/secret`);
    expect(shown(rotated)).toMatchObject({ status: 200, body: { client_id: rp.id, client_secret: '(a secret)' } });
    expect(rotated.body!.client_secret === rp.secret).toBe(false);
    const events = await api('GET', `/clients/${rp.id}/events`);
    expect(events.status).toBe(200);
    const trail = events.body!.events as Array<{ action: string; actor: { sub: string; organisation_id: string } }>;
    // Newest first.
    expect(trail.map((e) => e.action)).toEqual(['secret_rotated', 'updated', 'created']);
    for (const event of trail) expect(event.actor).toEqual({ sub: user.sub, organisation_id: 'mol' });
    expect((await api('DELETE', `/clients/${rp.id}`)).status).toBe(204);
    expect((await api('GET', `/clients/${rp.id}`)).status).toBe(404);
  }, 60_000);
});
