import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations, testBrowser } from '@tamkeen/testing';
import type { Express } from 'express';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { startCitizenIssuer, type RunningCitizenIssuer } from './test-citizen-issuer.js';

// The login to pay above a ministry's threshold, end to end against the real citizen issuer (the
// identity service and the register, from their builds), the sandbox PSP, and the payments app
// listening at its public origin. The citizen's browser is @tamkeen/testing's testBrowser (no
// script: the login pages have none, and the card is tokenised at the sandbox as the page's script does).
const PASSWORD = 'zaytoun-tree-1990';
const LAYLA = { nationalId: '900000019', phone: '+970599123456' };
const OMAR = { nationalId: '900000027', phone: '+970599123457' };
const YOUSEF = { nationalId: '900000035', phone: '+970599123458' };

let sandbox: RunningSandbox;
let issuer: RunningCitizenIssuer;
let service: TestPayments;
let server: Server;
let publicUrl: string;
let write: string;
const subs = new Map<string, string>();

beforeAll(async () => {
  // Listening first: its address is the public origin the relying party's redirect URI names.
  const served: { app?: Express } = {};
  server = createServer((req, res) => served.app!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = await startSandbox();
  issuer = await startCitizenIssuer({ redirectUri: `${publicUrl}/pay/login/callback` });
  for (const citizen of [LAYLA, OMAR, YOUSEF]) subs.set(citizen.nationalId, await issuer.addCitizen(citizen.nationalId, PASSWORD, citizen.phone));
  const psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('pay login', {
    psp,
    env: {
      PUBLIC_URL: publicUrl,
      PSP_API_URL: sandbox.url,
      PSP_SECRET_KEY: sandbox.secretKey,
      PSP_PUBLISHABLE_KEY: sandbox.publishableKey,
      CITIZEN_ISSUER: issuer.issuer,
      CITIZEN_ISSUER_INTERNAL_URL: issuer.internalUrl,
      PAY_LOGIN_CLIENT_ID: issuer.clientId,
      PAY_LOGIN_CLIENT_SECRET: issuer.clientSecret,
    },
  });
  served.app = service.app;
  write = await service.bearer('payments:write');
  const settings = await request(service.app)
    .put('/payments/v1/settings')
    .set('Authorization', write)
    .send({ service_name: { ar: 'وزارة الداخلية — الإقامة', en: 'Ministry of Interior — Residency' }, login_required_above: { ILS: 50_000 } });
  expect(settings.status).toBe(200);
}, 90_000); // starts real services: seconds on a busy machine

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
  await issuer?.stop();
  await sandbox?.stop();
});

const residency = { amount: 60_000, currency: 'ILS', reference: 'RESIDENCY-2026-0007', description: 'Residency permit fee', return_url: 'https://moi.gov.ps/residency/paid' };

async function newPayment(body: object = residency): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', write).set('Idempotency-Key', randomUUID()).send(body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

const apiPayment = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', write)).body;
const logins = (id: string) => service.stores.knex('payment_events').where({ payment_id: id, event: 'login' }).select('data');

interface Browser {
  /** Requests an address (relative ones on the payments origin), POSTing `form` when given; follows no redirect. */
  go(url: string, form?: Record<string, string>): Promise<Response>;
  /** Follows redirects (each against the address it came from): the page at the end, or the address it stopped at. */
  follow(response: Response): Promise<Response | string>;
  /** Submits the page's first form (its action against the page's address) with its CSRF field and `fields`, then follows. */
  submit(page: { url: string; html: string }, fields: Record<string, string>): Promise<Response | string>;
}

/**
 * A new browser (cookies of its own) across the two origins, payments' and the issuer's, whose
 * redirects and forms are relative to their own: @tamkeen/testing's testBrowser keeps the cookies,
 * this resolves addresses. It stops when sent to an address starting with `stopAt`.
 */
function browser(stopAt?: string): Browser {
  const agent = testBrowser(publicUrl, 'http://nowhere.invalid/');
  const follow = async (response: Response): Promise<Response | string> => {
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      if (hops === 20) throw new Error(`more than 20 redirects, the last to ${response.headers.get('location')}`);
      const location = new URL(response.headers.get('location') ?? '', response.url).toString();
      if (stopAt && location.startsWith(stopAt)) return location;
      response = await agent.go(location);
    }
    return response;
  };
  const unescape = (value: string) => value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  return {
    go: agent.go,
    follow,
    async submit({ url, html }, fields) {
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
      if (action === undefined || csrf === undefined) throw new Error(`no form with a CSRF field at ${url}: ${html.slice(0, 500)}`);
      return follow(await agent.go(new URL(unescape(action), url).toString(), { csrf: unescape(csrf), ...fields }));
    },
  };
}

async function html(response: Response | string): Promise<string> {
  if (typeof response === 'string') throw new Error(`the browser was sent to ${response}, not a page`);
  return response.text();
}

async function pageOf(response: Response | string): Promise<{ url: string; status: number; html: string }> {
  if (typeof response === 'string') throw new Error(`the browser was sent to ${response}, not a page`);
  return { url: response.url, status: response.status, html: await response.text() };
}

/** Opens the payment page and follows "Log in to pay" to the issuer: the authorization URL, not yet followed. */
async function startLogin(agent: Browser, id: string, lang: 'ar' | 'en' = 'en'): Promise<URL> {
  const page = await html(await agent.go(`/pay/${id}?lang=${lang}`));
  const href = /<a class="button" id="login" href="([^"]+)">/.exec(page)?.[1];
  expect(href).toBe(`/pay/${id}/login?lang=${lang}`);
  const redirected = await agent.go(href!);
  expect(redirected.status).toBe(303);
  return new URL(redirected.headers.get('location')!);
}

/** At the issuer: ID number and password, then (when asked) the SMS code; where the browser ends: a page, or the address it stopped at. */
async function logIn(agent: Browser, authorizationUrl: URL, citizen: { nationalId: string; phone: string }): Promise<{ url: string; status: number; html: string } | string> {
  const loginPage = await pageOf(await agent.follow(await agent.go(authorizationUrl.toString())));
  expect(loginPage.html).toContain('name="national_id"');
  const afterPassword = await agent.submit(loginPage, { national_id: citizen.nationalId, password: PASSWORD });
  if (typeof afterPassword === 'string') return afterPassword;
  const page = await pageOf(afterPassword);
  if (!/name="code"/.test(page.html)) return page;
  const afterCode = await agent.submit(page, { code: issuer.lastCode(citizen.phone)! });
  return typeof afterCode === 'string' ? afterCode : pageOf(afterCode);
}

/** Where the login ended: a page (not an address the browser stopped at). */
function landed(end: { url: string; status: number; html: string } | string) {
  if (typeof end === 'string') throw new Error(`the browser was sent to ${end}, not a page`);
  return end;
}

describe('a payment above the ministry’s threshold', () => {
  it('is paid after the citizen logs in at substantial (password, then an SMS code); the payment records who paid, and how', async () => {
    const id = await newPayment();
    const agent = browser();
    const authorization = await startLogin(agent, id);
    expect(authorization.origin + authorization.pathname).toBe(`${issuer.issuer}/auth`);
    const asked = Object.fromEntries(authorization.searchParams);
    expect(asked).toMatchObject({
      client_id: issuer.clientId,
      response_type: 'code',
      redirect_uri: `${publicUrl}/pay/login/callback`,
      scope: 'openid',
      acr_values: 'urn:tamkeen:loa:substantial',
      ui_locales: 'en',
      code_challenge_method: 'S256',
    });
    for (const random of ['state', 'nonce', 'code_challenge']) expect(asked[random]).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const back = landed(await logIn(agent, authorization, LAYLA));
    const page = back.html;
    expect(back.url).toBe(`${publicUrl}/pay/${id}?lang=en`);
    expect(page).toContain('You are logged in. You can pay now.');
    expect(page).toContain('id="pay-form"');
    expect(page).toContain('Ministry of Interior — Residency');

    const shown = await apiPayment(id);
    expect(schemaViolations('payments.yaml', '#/components/schemas/Payment', shown)).toEqual([]);
    expect(shown).toMatchObject({ status: 'started', paid_by: subs.get(LAYLA.nationalId) });
    expect(shown.paid_by).not.toContain(LAYLA.nationalId);
    const [login] = await logins(id);
    expect(login.data).toMatchObject({ sub: subs.get(LAYLA.nationalId), acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'], auth_time: expect.any(String) });
    expect(JSON.stringify(login.data)).not.toContain(LAYLA.nationalId);

    // Another browser with the same link has not logged in: it is asked to.
    expect(await html(await browser().go(`/pay/${id}?lang=en`))).toContain('<h1>Log in to pay</h1>');

    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const paid = await agent.go(`/pay/${id}?lang=en`, { csrf, payment_method: await sandbox.tokenise('4242424242424242') });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`/pay/${id}/result?lang=en`);
    const payment = await apiPayment(id);
    expect(payment).toMatchObject({ status: 'succeeded', paid_by: subs.get(LAYLA.nationalId) });
    const history = (await request(service.app).get(`/payments/v1/payments/${id}/events`).set('Authorization', write)).body;
    expect(schemaViolations('payments.yaml', '#/components/schemas/PaymentEvents', history)).toEqual([]);
    expect(history.events.map((e: { event: string }) => e.event)).toEqual(['create', 'start', 'login', 'submit', 'succeed']);
    expect(history.events[2]).toMatchObject({ from_status: 'started', to_status: 'started', sub: subs.get(LAYLA.nationalId), acr: 'urn:tamkeen:loa:substantial' });
    // Codes and states never reach a log line.
    expect(service.logs.text()).not.toContain(asked.state!);
    expect(service.logs.text()).not.toContain(asked.nonce!);
  });

  it('honours the issuer’s answer only in the browser that started the login: someone else’s callback link records nothing', async () => {
    const id = await newPayment();
    const citizen = browser(`${publicUrl}/pay/login/callback`);
    const callback = await logIn(citizen, await startLogin(citizen, id, 'ar'), LAYLA);
    expect(typeof callback).toBe('string');
    const callbackUrl = new URL(callback as string);
    expect(callbackUrl.searchParams.get('code')).toBeTruthy();

    // Sent to another browser: one with no cookie of ours, and one that started a login of its own.
    const stranger = browser();
    const refused = await stranger.go(callbackUrl.toString());
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('بدأ تسجيل الدخول هذا في متصفح آخر');
    const other = browser();
    await startLogin(other, id);
    expect((await other.go(callbackUrl.toString())).status).toBe(403);
    expect(await logins(id)).toEqual([]);
    expect((await apiPayment(id)).paid_by).toBeUndefined();

    // The browser that started it can still finish it, once.
    const finished = await citizen.go(callbackUrl.toString());
    expect(finished.status).toBe(303);
    expect(finished.headers.get('location')).toBe(`/pay/${id}?lang=ar`);
    expect((await apiPayment(id)).paid_by).toBe(subs.get(LAYLA.nationalId));
    expect((await citizen.go(callbackUrl.toString())).status).toBe(400);
    expect(await logins(id)).toHaveLength(1);
    // A state nobody started.
    expect((await stranger.go(`/pay/login/callback?code=${callbackUrl.searchParams.get('code')}&state=${randomUUID().replace(/-/g, '').padEnd(43, 'x')}`)).status).toBe(400);
  });

  it('refuses a login below substantial (the request stripped of its acr_values), recording nothing', async () => {
    const id = await newPayment();
    const agent = browser();
    const authorization = await startLogin(agent, id);
    authorization.searchParams.delete('acr_values');
    const back = landed(await logIn(agent, authorization, OMAR));
    expect(back.status).toBe(403);
    expect(back.html).toContain('Your login was not at the level this payment needs');
    expect(await logins(id)).toEqual([]);
    expect((await apiPayment(id)).paid_by).toBeUndefined();
    expect(await html(await agent.go(`/pay/${id}?lang=en`))).toContain('<h1>Log in to pay</h1>');
    expect(service.logs.lines.some((l) => l.reason === 'acr_too_low')).toBe(true);
  });

  it('refuses an ID token without the nonce this login sent, recording nothing', async () => {
    const id = await newPayment();
    const agent = browser();
    const authorization = await startLogin(agent, id);
    authorization.searchParams.set('nonce', 'x'.repeat(43));
    const back = landed(await logIn(agent, authorization, YOUSEF));
    expect(back.status).toBe(403);
    expect(back.html).toContain('This login could not be used for this payment, so nothing was recorded');
    expect(await logins(id)).toEqual([]);
    expect((await apiPayment(id)).paid_by).toBeUndefined();
    expect(service.logs.lines.some((l) => l.reason === 'nonce_mismatch')).toBe(true);
  });

  it('lets only the latest login pay: a browser whose payer was replaced by a later login is asked to log in again', async () => {
    const id = await newPayment();
    const first = browser();
    const firstPage = landed(await logIn(first, await startLogin(first, id), OMAR));
    expect(firstPage.html).toContain('You are logged in.');
    const second = browser();
    expect(landed(await logIn(second, await startLogin(second, id), YOUSEF)).html).toContain('You are logged in.');
    expect((await apiPayment(id)).paid_by).toBe(subs.get(YOUSEF.nationalId));

    // The first browser's form, posted now: refused, nothing submitted.
    const csrf = /name="csrf" value="([^"]+)"/.exec(firstPage.html)![1]!;
    const refused = await first.go(`/pay/${id}?lang=en`, { csrf, payment_method: await sandbox.tokenise('4242424242424242') });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<h1>Log in to pay</h1>');
    expect((await apiPayment(id)).status).toBe('started');

    const page = await html(await second.go(`/pay/${id}?lang=en`));
    const paid = await second.go(`/pay/${id}?lang=en`, { csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]!, payment_method: await sandbox.tokenise('4242424242424242') });
    expect(paid.status).toBe(303);
    expect(await apiPayment(id)).toMatchObject({ status: 'succeeded', paid_by: subs.get(YOUSEF.nationalId) });
    expect((await logins(id)).map((l: { data: { sub: string } }) => l.data.sub)).toEqual([subs.get(OMAR.nationalId), subs.get(YOUSEF.nationalId)]);
  });

  it('records nothing when the issuer answers with an error, or names another issuer', async () => {
    const id = await newPayment();
    const agent = browser();
    const cancelled = await startLogin(agent, id);
    const notCompleted = await agent.go(`/pay/login/callback?error=access_denied&state=${cancelled.searchParams.get('state')}&iss=${encodeURIComponent(issuer.issuer)}`);
    expect(notCompleted.status).toBe(200);
    expect(await notCompleted.text()).toContain('You did not finish logging in, and nothing was charged.');
    const mixedUp = await startLogin(agent, id);
    const wrongIssuer = await agent.go(`/pay/login/callback?code=abc&state=${mixedUp.searchParams.get('state')}&iss=${encodeURIComponent('https://elsewhere.example/auth')}`);
    expect(wrongIssuer.status).toBe(403);
    expect(await logins(id)).toEqual([]);
  });
});

describe('in Chromium, on a phone', () => {
  // Screenshots: services/payments/output/pay-page (beside pay-browser.test.ts's).
  const output = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'output', 'pay-page');

  it('logs in (Arabic, right to left) and pays: the button, the issuer’s pages, the SMS code, back to the card form', async () => {
    mkdirSync(output, { recursive: true });
    const id = await newPayment();
    const chrome = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await chrome.newPage({ viewport: { width: 390, height: 844 } });
      await page.goto(`${publicUrl}/pay/${id}`);
      expect(await page.getAttribute('html', 'dir')).toBe('rtl');
      expect(await page.textContent('h1')).toBe('سجّل الدخول لتدفع');
      expect(await page.textContent('#ministry')).toBe('وزارة الداخلية — الإقامة');
      expect(await page.locator('#pay-form').count()).toBe(0);
      // Made for a phone: nothing wider than the screen.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(output, 'login-needed-ar.png'), fullPage: true });
      // Reached from the keyboard, as any link.
      await page.getByRole('link', { name: 'سجّل الدخول لتدفع' }).focus();
      await page.keyboard.press('Enter');
      await page.getByLabel('رقم الهوية').waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('ar');
      await page.getByLabel('رقم الهوية').fill(LAYLA.nationalId);
      await page.getByLabel('كلمة المرور').fill(PASSWORD);
      await page.getByRole('button', { name: 'دخول' }).click();
      await page.getByLabel('رمز التحقق').fill(issuer.lastCode(LAYLA.phone)!);
      await page.getByRole('button', { name: 'تحقّق' }).click();
      await page.waitForURL(`${publicUrl}/pay/${id}?lang=ar`);
      expect(await page.textContent('#logged-in')).toBe('سجّلت الدخول. يمكنك الدفع الآن.');
      await page.screenshot({ path: join(output, 'logged-in-ar.png'), fullPage: true });
      await page.getByLabel('رقم البطاقة').fill('4242 4242 4242 4242');
      await page.getByLabel('تاريخ الانتهاء').fill('12/34');
      await page.getByLabel('رمز الأمان').fill('123');
      await page.getByRole('button', { name: 'ادفع' }).click();
      await page.waitForURL(`**/pay/${id}/result**`);
      expect(await page.textContent('h1')).toBe('تم الدفع');
      expect(await apiPayment(id)).toMatchObject({ status: 'succeeded', paid_by: subs.get(LAYLA.nationalId) });
    } finally {
      await chrome.close();
    }
  }, 60_000);
});

describe('a payment at or under the threshold', () => {
  it('is paid as before: no login asked, nothing recorded', async () => {
    const id = await newPayment({ ...residency, amount: 50_000 });
    const agent = browser();
    const page = await html(await agent.go(`/pay/${id}?lang=en`));
    expect(page).toContain('id="pay-form"');
    expect(page).not.toContain('Log in to pay');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await agent.go(`/pay/${id}?lang=en`, { csrf, payment_method: await sandbox.tokenise('4242424242424242') })).status).toBe(303);
    const payment = await apiPayment(id);
    expect(payment.status).toBe('succeeded');
    expect(payment).not.toHaveProperty('paid_by');
    expect(await logins(id)).toEqual([]);
  });
});
