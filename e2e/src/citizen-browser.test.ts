import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type RunningPlatform } from './platform.js';

const output = join(dirname(fileURLToPath(import.meta.url)), '..', 'output', 'citizen-browser');
let platform: RunningPlatform;
let browser: Browser;
let relyingParty: Server;
let callbackBase: string;
let config: oidc.Configuration;

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  platform = await startPlatform('e2e browser');
  // The ministry's service: its callback page only says it got an answer (the test exchanges the code).
  relyingParty = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the ministry'));
  await new Promise<void>((resolve) => relyingParty.listen(0, '127.0.0.1', resolve));
  callbackBase = `http://127.0.0.1:${(relyingParty.address() as AddressInfo).port}`;
  await platform.command('identity', 'admin.js', ['organisation', 'add', '--id', 'mol', '--name-ar', 'وزارة العمل', '--name-en', 'Ministry of Labour']);
  const rp = JSON.parse(await platform.command('identity', 'admin.js', ['relying-party', 'add', '--organisation', 'mol', '--name', 'Work permits', '--redirect-uri', `${callbackBase}/callback`])) as { client_id: string; client_secret: string };
  config = await oidc.discovery(new URL(`${platform.gateway}/auth/citizen`), rp.client_id, rp.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => relyingParty?.close(resolve));
  await platform?.stop();
}, 30_000);

let shot = 0;
const screenshot = (page: Page, name: string) => page.screenshot({ path: join(output, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });

/** Sends the browser to log in for the ministry; returns what is needed to finish the code exchange. */
async function authorize(page: Page, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: `${callbackBase}/callback`, scope: 'openid profile phone', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
  await page.goto(url.toString());
  return async () => {
    await page.waitForURL(`${callbackBase}/callback**`);
    return oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
  };
}

/** The newest code the sandbox delivered to this number (what the citizen reads on the phone). */
async function codeSentTo(phone: string, after: number): Promise<string> {
  return waitFor(
    async () => {
      const inbox = (await (await fetch(`${platform.urls.sandbox}/inbox/api/sms?to=${encodeURIComponent(phone)}`)).json()) as { messages: Array<{ body: string }> };
      // Newest first, as the inbox page shows them.
      return inbox.messages.length > after && /([0-9]{6})/.exec(inbox.messages[0]!.body)?.[1];
    },
    { what: `a code for ${phone}`, timeoutMs: 15_000 },
  );
}

describe('a citizen abroad, in Arabic, in a real browser', () => {
  it('enrols, logs in, and steps up with the SMS code read from the sandbox inbox', async () => {
    const phone = '+4915123456789';
    const enrolment = await browser.newContext({ locale: 'ar' });
    const page = await enrolment.newPage();
    const finish = await authorize(page);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    await screenshot(page, 'login');
    await page.getByRole('link', { name: 'ليس لديك حساب؟ أنشئ حسابًا' }).click();
    await screenshot(page, 'enrol-identity');
    await page.getByLabel('رقم الهوية').fill('٩٠٠٠٠٠٠٣٥');
    await page.getByLabel('تاريخ الميلاد').fill('1979-06-05');
    await page.getByLabel('اسم الأم الأول').fill('سعاد');
    await page.getByRole('button', { name: 'متابعة' }).click();
    await screenshot(page, 'enrol-phone');
    await page.getByLabel('رقم الهاتف المحمول').fill(phone);
    await page.getByRole('button', { name: 'متابعة' }).click();
    await screenshot(page, 'enrol-code');
    await page.getByLabel('رمز التحقق').fill(await codeSentTo(phone, 0));
    await page.getByRole('button', { name: 'تحقّق' }).click();
    await screenshot(page, 'enrol-password');
    await page.getByLabel('كلمة المرور الجديدة').fill('jerusalem-olive-1979');
    await page.getByLabel('أعد كتابة كلمة المرور').fill('jerusalem-olive-1979');
    await page.getByRole('button', { name: 'متابعة' }).click();
    // An e-mail address and an authenticator app are offered; both can wait.
    await page.getByRole('link', { name: 'أضف بريدًا إلكترونيًا' }).waitFor();
    await screenshot(page, 'enrol-extras');
    await page.getByRole('button', { name: 'ليس الآن، تابع دونهما' }).click();
    const enrolled = await finish();
    expect(enrolled.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', name: 'يوسف عادل حسن البرغوثي', phone_number: phone });
    await enrolment.close();

    // Another day: the password alone for a low-level service, then a step that needs more.
    const later = await browser.newContext({ locale: 'ar' });
    const day2 = await later.newPage();
    const finishLogin = await authorize(day2);
    await day2.getByLabel('رقم الهوية').fill('900000035');
    await day2.getByLabel('كلمة المرور').fill('jerusalem-olive-1979');
    await screenshot(day2, 'login-filled');
    await day2.getByRole('button', { name: 'دخول' }).click();
    expect((await finishLogin()).claims()).toMatchObject({ acr: 'urn:tamkeen:loa:low' });

    const finishStepUp = await authorize(day2, { acr_values: 'urn:tamkeen:loa:substantial' });
    await screenshot(day2, 'step-up-code');
    expect(await day2.getByLabel('كلمة المرور').count()).toBe(0);
    await day2.getByLabel('رمز التحقق').fill(await codeSentTo(phone, 1));
    await day2.getByRole('button', { name: 'تحقّق' }).click();
    const steppedUp = await finishStepUp();
    expect(steppedUp.claims()).toMatchObject({ acr: 'urn:tamkeen:loa:substantial', amr: ['pwd', 'sms'] });
    await later.close();
  }, 90_000);
});
