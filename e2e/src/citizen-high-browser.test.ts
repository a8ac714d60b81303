import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { startBrowserWorld, type BrowserWorld } from './browser-world.js';

// README, "For a ministry developer": for the most sensitive steps a relying party asks for
// urn:tamkeen:loa:high; a citizen without an authenticator app gives the SMS code and links an app
// in that same login (QR code or key); from then on the app is asked, never the SMS.

const HIGH = 'urn:tamkeen:loa:high';
// Omar, a demo citizen no other e2e test uses; his account as the README's operator command makes it.
const citizen = { nationalId: '900000027', password: 'carob-orchard-1985', phone: '+970592345678' };

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld('citizen-high-browser');
  await world.platform.command('identity', 'admin.js', ['citizen', 'add', '--national-id', citizen.nationalId, '--password', citizen.password, '--phone', citizen.phone]);
}, 120_000);
afterAll(() => world?.close(), 30_000);

/** Sends the browser to log in for the ministry at `high`; returns what finishes the code exchange. */
const authorizeHigh = (page: Page) => world.authorize(page, { acr_values: HIGH });

/** The SMS the sandbox delivered to this number, newest first (what the citizen reads on the phone). */
async function smsTo(phone: string): Promise<Array<{ body: string }>> {
  const inbox = (await (await fetch(`${world.platform.urls.sandbox}/inbox/api/sms?to=${encodeURIComponent(phone)}`)).json()) as { messages: Array<{ body: string }> };
  return inbox.messages;
}

/** The newest code sent to this number, once there are more than `after` messages. */
const codeSentTo = (phone: string, after: number) =>
  waitFor(async () => {
    const messages = await smsTo(phone);
    return messages.length > after && /([0-9]{6})/.exec(messages[0]!.body)?.[1];
  }, { what: 'the login code in the sandbox SMS inbox', timeoutMs: 30_000 });

/** Logs in with the ID number and the password on the Arabic login page. */
async function logIn(page: Page) {
  expect(await page.getAttribute('html', 'dir')).toBe('rtl');
  await world.screenshot(page, 'login');
  await page.getByLabel('رقم الهوية').fill(citizen.nationalId);
  await page.getByLabel('كلمة المرور').fill(citizen.password);
  await page.getByRole('button', { name: 'دخول' }).click();
}

const timeStep = (epochS: number) => Math.floor(epochS / 30);

describe('a citizen at urn:tamkeen:loa:high, in Arabic, in a real browser', () => {
  it('links an authenticator app during the first high login (password, SMS code, QR code), then logs in with the app alone', async () => {
    const first = await world.browser.newContext({ locale: 'ar' });
    const page = await first.newPage();
    const finish = await authorizeHigh(page);
    await logIn(page);

    // The SMS code comes first: it proves the phone before an app is linked to the account.
    await page.getByRole('heading', { name: 'أدخل رمز التحقق' }).waitFor();
    await world.screenshot(page, 'sms-code');
    await page.getByLabel('رمز التحقق').fill(await codeSentTo(citizen.phone, 0));
    await page.getByRole('button', { name: 'تحقّق' }).click();

    // No app yet: the set-up page, with its QR code and the key to type in instead.
    await page.getByRole('heading', { name: 'اربط تطبيق مصادقة' }).waitFor();
    expect(await page.getByRole('img', { name: 'رمز QR لربط تطبيق المصادقة بحساب تمكين' }).locator('svg').isVisible()).toBe(true);
    await world.screenshot(page, 'authenticator-setup');
    const shownKey = (await page.locator('#authenticator_key').textContent())!.trim();
    expect(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/.test(shownKey)).toBe(true);
    // The "app": the key as a person types it in, without the spaces.
    const key = shownKey.replace(/ /g, '');
    const linkedAt = Math.floor(Date.now() / 1000);
    await page.getByLabel('الرمز الذي يظهره التطبيق الآن').fill(await generate({ secret: key, epoch: linkedAt }));
    await page.getByRole('button', { name: 'اربط التطبيق' }).click();
    const linked = await finish();
    await world.screenshot(page, 'back-at-the-ministry');
    expect(linked.claims()).toMatchObject({ acr: HIGH, amr: ['pwd', 'sms', 'otp'], name: 'عمر خالد يوسف نصار', phone_number: citizen.phone });
    await first.close();

    // Another day, another browser: the password, then the app's code; no SMS is sent.
    const smsSoFar = (await smsTo(citizen.phone)).length;
    const later = await world.browser.newContext({ locale: 'ar' });
    const day2 = await later.newPage();
    const finishAgain = await authorizeHigh(day2);
    await logIn(day2);
    await day2.getByRole('heading', { name: 'أدخل الرمز من تطبيق المصادقة' }).waitFor();
    await world.screenshot(day2, 'app-code');
    expect(await day2.getByLabel('رمز التحقق').count()).toBe(0);
    // High never takes an SMS code, so the page offers none instead.
    expect(await day2.getByRole('link', { name: /رسالة نصية/ }).count()).toBe(0);
    // Each code is accepted once: the app's next code when its current one is still the one used to link
    // (accepted, as the server allows a clock 30 s apart), rather than waiting for the next step.
    const now = Math.floor(Date.now() / 1000);
    const epoch = timeStep(now) > timeStep(linkedAt) ? now : now + 30;
    await day2.getByLabel('الرمز من التطبيق').fill(await generate({ secret: key, epoch }));
    await day2.getByRole('button', { name: 'تحقّق' }).click();
    const again = await finishAgain();
    expect(again.claims()).toMatchObject({ acr: HIGH, amr: ['pwd', 'otp'] });
    expect(again.claims()!.sub).toBe(linked.claims()!.sub);
    expect(await smsTo(citizen.phone)).toHaveLength(smsSoFar);
    await later.close();
  }, 90_000);
});
